package hub

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// seedHub is a hub over store that ends with the test.
func seedHub(t *testing.T, store Store) *Hub {
	t.Helper()
	h := New(store, Config{IdleTimeout: 50 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	return h
}

func seedCard(text string, stage, level *string) (string, board.Op) {
	id := uuid.NewString()
	return id, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: id, Text: text, Stage: stage, Level: level}}
}

// TestSeed: a seeded workshop's store holds its people and its cards, in
// place and with their votes, before any room has been live; a room that
// starts later welcomes a joiner with that board; a seed that breaks the
// rules or meets a workshop with a history is refused.
func TestSeed(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"embedded": func(t *testing.T) Store {
			s, err := OpenEmbedded(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"redis": func(t *testing.T) Store { return openRedisStore(t, redisURL(t)) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			h := seedHub(t, store)
			ctx := t.Context()
			w, _, err := h.CreateWorkshop(ctx, "Sample: seeded")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.DeleteWorkshop(context.Background(), w.ID) })
			plan, consult := "plan", "consultation"
			a, addA := seedCard("Ask the youth panel first", &plan, &consult)
			_, addB := seedCard("A card left in the tray", nil, nil)
			one := 1
			people := []SeedPerson{{Name: "Sample: Jo", Role: board.RoleStaff}, {Role: board.RoleServiceUser}}
			ops := []SeedOp{{0, addA}, {1, addB}, {1, board.Op{Kind: board.KindCardVote, CardID: a, Delta: &one}}}
			if err := h.Seed(ctx, w, people, ops); err != nil {
				t.Fatalf("seed: %v", err)
			}
			if n := h.LiveRooms(); n != 0 {
				t.Fatalf("live rooms after seeding: got %d, want 0", n)
			}

			b, err := LoadBoard(ctx, store, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if b.V != int64(len(ops)) {
				t.Errorf("version: got %d, want %d", b.V, len(ops))
			}
			cards := b.Ordered()
			if len(cards) != 2 {
				t.Fatalf("cards: got %d, want 2", len(cards))
			}
			if c := cards[0]; c.ID != a || c.Stage != plan || c.Level != consult || c.ByRole != board.RoleStaff || c.Votes == nil {
				t.Errorf("first card: got %+v, want %s at plan/consultation by staff with a vote", c, a)
			}
			if c := cards[1]; c.Stage != "" || c.ByRole != board.RoleServiceUser {
				t.Errorf("second card: got %+v, want in the tray by a service user", c)
			}
			got, err := store.Participants(ctx, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			roles := map[board.Role]int{}
			for _, p := range got {
				roles[p.Role]++
				if len(p.TokenHash) == 0 {
					t.Errorf("participant %s has no token hash", p.ID)
				}
			}
			if len(got) != 2 || roles[board.RoleStaff] != 1 || roles[board.RoleServiceUser] != 1 {
				t.Errorf("participants: got %+v, want one staff and one service user", got)
			}

			m := newInbox()
			if _, jerr := h.Join(ctx, w.Code, JoinRequest{Role: board.RoleServiceUser}, m); jerr != nil {
				t.Fatal(jerr)
			}
			from := 0
			welcome := string(m.waitFor(t, "welcome", &from)["board"])
			for _, text := range []string{"Ask the youth panel first", "A card left in the tray"} {
				if !strings.Contains(welcome, text) {
					t.Errorf("welcome board lacks %q", text)
				}
			}

			if err := h.Seed(ctx, w, people, ops); err == nil {
				t.Error("seeding a workshop with a history: got no error")
			}
			fresh, _, err := h.CreateWorkshop(ctx, "Sample: refused")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.DeleteWorkshop(context.Background(), fresh.ID) })
			bad := []SeedOp{{0, board.Op{Kind: board.KindCardVote, CardID: uuid.NewString(), Delta: &one}}}
			if err := h.Seed(ctx, fresh, people[:1], bad); err == nil {
				t.Error("a staff vote on no card: got no error")
			}
			if err := h.Seed(ctx, fresh, []SeedPerson{{Role: board.RoleFacilitator}}, nil); err == nil {
				t.Error("a made-up facilitator: got no error")
			}
		})
	}
}
