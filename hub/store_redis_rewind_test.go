package hub

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// rewindAdd submits a card.add from s and waits for its ack; it returns
// the op's id and version.
func rewindAdd(t *testing.T, s *Session, m *inbox, from *int, text string) (string, int64) {
	t.Helper()
	id := uuid.NewString()
	s.Submit(id, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: text}})
	for {
		f := m.waitFor(t, "ack", from)
		var got string
		json.Unmarshal(f["id"], &got)
		if got == id {
			var v int64
			json.Unmarshal(f["v"], &v)
			return id, v
		}
	}
}

// welcomeOf decodes the fields of a welcome that a resume depends on.
type welcomeOf struct {
	Epoch  string            `json:"epoch"`
	V      int64             `json:"v"`
	LastID *string           `json:"lastId"`
	Board  *json.RawMessage  `json:"board"`
	Ops    []json.RawMessage `json:"ops"`
}

// rejoin joins the workshop with req and returns the welcome.
func rejoin(t *testing.T, h *Hub, code string, req JoinRequest) welcomeOf {
	t.Helper()
	m := newInbox()
	s, jerr := h.Join(t.Context(), code, req, m)
	if jerr != nil {
		t.Fatal(jerr)
	}
	t.Cleanup(s.Leave)
	from := 0
	f := m.waitFor(t, "welcome", &from)
	raw, _ := json.Marshal(f)
	var w welcomeOf
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatalf("decode welcome: %v", err)
	}
	return w
}

// TestResumeChecksSinceID: welcome names the op at its version (lastId),
// and a resume replays ops only when the op at since is the one the client
// names; otherwise, or beyond the top, or from another epoch, it gets the
// whole board.
func TestResumeChecksSinceID(t *testing.T) {
	h, w, s, m := openWorkshop(t, openRedisStore(t, redisURL(t)), board.RoleServiceUser)
	if first := rejoin(t, h, w.Code, JoinRequest{Role: board.RoleStaff}); first.LastID != nil || first.V != 0 {
		t.Errorf("first welcome: v %d, lastId %v; want v 0 and no lastId", first.V, first.LastID)
	}
	from := 0
	var ids []string
	for i := range 3 {
		id, v := rewindAdd(t, s, m, &from, "idea")
		if v != int64(i+1) {
			t.Fatalf("op %d acked at %d, want %d", i, v, i+1)
		}
		ids = append(ids, id)
	}
	fresh := rejoin(t, h, w.Code, JoinRequest{Role: board.RoleStaff})
	if fresh.LastID == nil || *fresh.LastID != ids[2] || fresh.Board == nil {
		t.Fatalf("welcome = v %d, lastId %v; want the board with lastId %s", fresh.V, fresh.LastID, ids[2])
	}
	epoch := fresh.Epoch
	at := func(v int64) *int64 { return &v }

	for _, tc := range []struct {
		name    string
		since   int64
		sinceID string
		epoch   string
		ops     int // -1: the board
	}{
		{"no sinceId", 1, "", epoch, 2},
		{"matching sinceId", 1, ids[0], epoch, 2},
		{"matching sinceId at the top", 3, ids[2], epoch, 0},
		{"other op at since", 1, uuid.NewString(), epoch, -1},
		{"other op at the top", 3, ids[1], epoch, -1},
		{"sinceId at version 0", 0, ids[0], epoch, -1},
		{"since beyond the top", 5, "", epoch, -1},
		{"other epoch", 1, ids[0], uuid.NewString(), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rejoin(t, h, w.Code, JoinRequest{Role: board.RoleStaff, Since: at(tc.since), SinceID: tc.sinceID, Epoch: tc.epoch})
			if got.LastID == nil || *got.LastID != ids[2] || got.V != 3 {
				t.Errorf("welcome at v %d has lastId %v, want v 3 and %s", got.V, got.LastID, ids[2])
			}
			switch {
			case tc.ops < 0 && (got.Board == nil || got.Ops != nil):
				t.Errorf("got %d ops (board %v), want the board and no ops", len(got.Ops), got.Board != nil)
			case tc.ops >= 0 && (got.Board != nil || len(got.Ops) != tc.ops):
				t.Errorf("got %d ops (board %v), want %d ops", len(got.Ops), got.Board != nil, tc.ops)
			}
		})
	}
}
