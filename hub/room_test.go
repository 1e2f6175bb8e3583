package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/withboard/withboard/hub/board"
)

// TestMain checks that no test leaves a goroutine behind: rooms, stores
// and subscriptions must all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// inbox is a Member that keeps every frame it is sent.
type inbox struct {
	mu     sync.Mutex // guards frames and closed
	frames [][]byte
	closed []byte
	signal chan struct{}
}

func newInbox() *inbox { return &inbox{signal: make(chan struct{}, 1)} }

func (m *inbox) Send(frame []byte) bool {
	m.mu.Lock()
	m.frames = append(m.frames, frame)
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
	return true
}

func (m *inbox) Close(frame []byte) {
	m.mu.Lock()
	m.closed = append([]byte("closed:"), frame...)
	m.mu.Unlock()
}

// waitFor returns the first frame of type t after index *from.
func (m *inbox) waitFor(t *testing.T, typ string, from *int) map[string]json.RawMessage {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		m.mu.Lock()
		for ; *from < len(m.frames); *from++ {
			var f map[string]json.RawMessage
			json.Unmarshal(m.frames[*from], &f)
			if string(f["t"]) == `"`+typ+`"` {
				*from++
				m.mu.Unlock()
				return f
			}
		}
		m.mu.Unlock()
		select {
		case <-m.signal:
		case <-deadline:
			t.Fatalf("no %s frame within 10s", typ)
		}
	}
}

func newTestHub(t *testing.T, store Store) *Hub {
	t.Helper()
	return newHubWith(t, store, Config{IdleTimeout: 50 * time.Millisecond})
}

// newHubWith starts a hub over store with cfg, shut down when the test ends.
func newHubWith(t *testing.T, store Store, cfg Config) *Hub {
	t.Helper()
	h := New(store, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return h
}

// openWorkshop starts a hub over store with a new workshop, and joins a
// first member with role, whose welcome has arrived.
func openWorkshop(t *testing.T, store Store, role board.Role) (*Hub, board.Workshop, *Session, *inbox) {
	t.Helper()
	h := newTestHub(t, store)
	w, _, err := h.CreateWorkshop(t.Context(), "Test workshop")
	if err != nil {
		t.Fatal(err)
	}
	s, m, _ := joinWelcomed(t, h, w.Code, role)
	return h, w, s, m
}

// joinWelcomed joins a new member with role to the workshop code, and
// returns once its welcome has arrived, with the index of the frame after
// it (for waitFor).
func joinWelcomed(t *testing.T, h *Hub, code string, role board.Role) (*Session, *inbox, int) {
	t.Helper()
	m := newInbox()
	s, jerr := h.Join(t.Context(), code, JoinRequest{Role: role}, m)
	if jerr != nil {
		t.Fatal(jerr)
	}
	from := 0
	m.waitFor(t, "welcome", &from)
	return s, m, from
}

func openTestEmbedded(t *testing.T) *EmbeddedStore {
	t.Helper()
	s, err := OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestRoomLoadsLazilyAndUnloadsWhenEmpty: a room starts with its first
// member, ends after its idle time with none, and comes back with its board.
func TestRoomLoadsLazilyAndUnloadsWhenEmpty(t *testing.T) {
	h := newTestHub(t, openTestEmbedded(t))
	w, _, err := h.CreateWorkshop(context.Background(), "Lazy")
	if err != nil {
		t.Fatal(err)
	}
	if n := h.LiveRooms(); n != 0 {
		t.Fatalf("live rooms before any join: got %d, want 0", n)
	}
	s, m, from := joinWelcomed(t, h, w.Code, board.RoleStaff)
	s.Submit(uuid.NewString(), board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "kept"}})
	m.waitFor(t, "ack", &from)
	if n := h.LiveRooms(); n != 1 {
		t.Fatalf("live rooms with a member: got %d, want 1", n)
	}
	s.Leave()
	waitUntil(t, func() bool { return h.LiveRooms() == 0 })

	m2 := newInbox()
	if _, jerr := h.Join(context.Background(), w.ID, JoinRequest{Role: board.RoleServiceUser}, m2); jerr != nil {
		t.Fatal(jerr)
	}
	from = 0
	welcome := m2.waitFor(t, "welcome", &from)
	var board board.BoardView
	json.Unmarshal(welcome["board"], &board)
	if len(board.Cards) != 1 || *board.Cards[0].Text != "kept" {
		t.Fatalf("reloaded board: got %d cards, want the one kept card", len(board.Cards))
	}
}

// TestSnapshotsAndReload: past snapshotEvery versions a snapshot is
// stored, and a room reloaded from snapshot and log has the same board.
func TestSnapshotsAndReload(t *testing.T) {
	store := openTestEmbedded(t)
	_, w, s, m := openWorkshop(t, store, board.RoleServiceUser)
	const n = 2*snapshotEvery + 30
	var cards []string
	from := 0
	for i := range n {
		if i%3 == 0 || len(cards) == 0 {
			id := uuid.NewString()
			cards = append(cards, id)
			stage, level := board.Stages[i%4], board.Levels[i%3]
			s.Submit(uuid.NewString(), board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: id, Text: fmt.Sprint("card ", i), Stage: &stage, Level: &level}})
		} else {
			stage, level, index := board.Stages[(i+1)%4], board.Levels[(i+2)%3], i%5
			s.Submit(uuid.NewString(), board.Op{Kind: board.KindCardMove, CardID: cards[i%len(cards)], Stage: &stage, Level: &level, Index: &index})
		}
		m.waitFor(t, "ack", &from)
	}
	snap, err := store.Snapshot(context.Background(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if snap.V < 2*snapshotEvery {
		t.Fatalf("snapshot at version %d, want at least %d", snap.V, 2*snapshotEvery)
	}
	viewer := board.Viewer{ID: s.You().ID, Role: board.RoleServiceUser}
	loaded, err := LoadBoard(context.Background(), store, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	live := make(chan []byte, 1)
	s.room.post(inspectReq(func(r *Room) { live <- mustEncode(r.board.View(viewer, w, nil)) }), nil)
	if got, want := mustEncode(loaded.View(viewer, w, nil)), <-live; string(got) != string(want) {
		t.Fatalf("board loaded from snapshot and log differs from the live one:\n got %s\nwant %s", got, want)
	}
	if loaded.V != n {
		t.Fatalf("loaded version %d, want %d", loaded.V, n)
	}
}

func mustEncode(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10s")
}
