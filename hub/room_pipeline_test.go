package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// gatedFile is a log segment whose writes wait until the test lets them
// through, and then succeed or fail as the test says.
type gatedFile struct {
	walFile
	arrived chan struct{} // a write is waiting
	gate    chan error    // nil lets one write through; an error fails it
	open    chan struct{} // closed: every write goes through
	opening sync.Once
}

func newGatedFile(f walFile) *gatedFile {
	return &gatedFile{walFile: f, arrived: make(chan struct{}, 16), gate: make(chan error), open: make(chan struct{})}
}

func (f *gatedFile) Write(b []byte) (int, error) {
	f.arrived <- struct{}{}
	select {
	case err := <-f.gate:
		if err != nil {
			return 0, err
		}
	case <-f.open:
	}
	return f.walFile.Write(b)
}

// openAll lets every write through from now on.
func (f *gatedFile) openAll() { f.opening.Do(func() { close(f.open) }) }

// pipelineRoom starts a room over an embedded store whose log is gated,
// with a member who has joined.
func pipelineRoom(t *testing.T) (*EmbeddedStore, *gatedFile, *Hub, board.Workshop, *Session, *inbox) {
	t.Helper()
	store := openTestEmbedded(t)
	h, w, s, m := openWorkshop(t, store, board.RoleStaff)
	gate := newGatedFile(store.wal.file) // no append is in flight: the writer is idle
	t.Cleanup(gate.openAll)              // so that a failed test still shuts down
	store.wal.mu.Lock()
	store.wal.file = gate
	store.wal.mu.Unlock()
	return store, gate, h, w, s, m
}

// reserved is the highest version the store has given the room, durable
// or not.
func reserved(s *EmbeddedStore, id string) int64 {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if p := s.pending[id]; p != nil {
		return p.top
	}
	return 0
}

// frameTypes lists the types of the frames m holds, but for welcome and
// presence, with the version of each op and ack.
func frameTypes(m *inbox) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, f := range m.frames {
		var h struct {
			T string `json:"t"`
			V int64  `json:"v"`
		}
		json.Unmarshal(f, &h)
		if h.T == "op" || h.T == "ack" {
			out = append(out, fmt.Sprintf("%s %d", h.T, h.V))
		} else if h.T != "presence" && h.T != "welcome" {
			out = append(out, h.T)
		}
	}
	return out
}

// TestRoomPipelinesOps: a room appends its next ops while the first is
// still being written, checks each against the ones before it, and sends
// and acknowledges them only once durable, in order. A join waits for
// them, and an op sent again while in flight gets the same ack.
func TestRoomPipelinesOps(t *testing.T) {
	store, gate, h, w, s, m := pipelineRoom(t)
	card, add, edit, move := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	stage, level, index := "assess", "participation", 0
	text := "edited while the add was being written"
	s.Submit(add, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: card, Text: "first"}})
	<-gate.arrived // the add's group is being written
	s.Submit(edit, board.Op{Kind: board.KindCardEdit, CardID: card, Text: &text})
	s.Submit(move, board.Op{Kind: board.KindCardMove, CardID: card, Stage: &stage, Level: &level, Index: &index})
	waitUntil(t, func() bool { return reserved(store, w.ID) == 3 })
	s.Submit(edit, board.Op{Kind: board.KindCardEdit, CardID: card, Text: &text}) // sent again

	late := newInbox()
	joined := make(chan *board.Error, 1)
	go func() {
		_, err := h.Join(context.Background(), w.Code, JoinRequest{Role: board.RoleServiceUser}, late)
		joined <- err
	}()
	if got := frameTypes(m); len(got) != 0 {
		t.Fatalf("frames before anything was durable: %v, want none", got)
	}

	gate.openAll()
	from := 0
	for range 4 {
		m.waitFor(t, "ack", &from)
	}
	want := []string{"op 1", "ack 1", "op 2", "ack 2", "op 3", "ack 3", "ack 2"}
	if got := frameTypes(m); !slices.Equal(got, want) {
		t.Fatalf("frames: %v, want %v", got, want)
	}
	if err := <-joined; err != nil {
		t.Fatalf("join while ops were in flight: %v", err)
	}
	from = 0
	welcome := late.waitFor(t, "welcome", &from)
	var board board.BoardView
	json.Unmarshal(welcome["board"], &board)
	if string(welcome["v"]) != "3" || len(board.Cards) != 1 || board.Cards[0].Text == nil || *board.Cards[0].Text != text || board.Cards[0].Stage == nil || *board.Cards[0].Stage != stage {
		t.Fatalf("welcome after the ops were durable: v %s, cards %+v", welcome["v"], board.Cards)
	}
	entries, err := store.Entries(t.Context(), w.ID, 0)
	if err != nil || len(entries) != 3 {
		t.Fatalf("log: %d entries, %v; want 3", len(entries), err)
	}
}

// TestRoomPipelineFailure: when the log fails under ops in flight, none of
// them is acknowledged or sent, each is refused, and the members are told
// to come back, to a board without them.
func TestRoomPipelineFailure(t *testing.T) {
	store, gate, h, w, s, m := pipelineRoom(t)
	first, second := uuid.NewString(), uuid.NewString()
	s.Submit(first, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "lost"}})
	<-gate.arrived
	s.Submit(second, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "lost too"}})
	waitUntil(t, func() bool { return reserved(store, w.ID) == 2 })
	gate.gate <- errors.New("input/output error")

	from := 0
	for _, id := range []string{first, second} {
		nack := m.waitFor(t, "nack", &from)
		if string(nack["id"]) != `"`+id+`"` || string(nack["code"]) != `"`+board.CodeUnavailable+`"` {
			t.Fatalf("nack %s %s, want %s unavailable", nack["id"], nack["code"], id)
		}
	}
	waitUntil(t, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.closed) > 0
	})
	if got := frameTypes(m); !slices.Equal(got, []string{"nack", "nack"}) {
		t.Fatalf("frames: %v, want the two nacks only", got)
	}
	m.mu.Lock()
	closed := string(m.closed)
	m.mu.Unlock()
	if want := `closed:{"t":"error","code":"unavailable"`; len(closed) < len(want) || closed[:len(want)] != want {
		t.Fatalf("closed with %s, want an unavailable error", closed)
	}

	again := newInbox()
	if _, err := h.Join(t.Context(), w.Code, JoinRequest{Role: board.RoleServiceUser}, again); err != nil {
		t.Fatalf("join after the failure: %v", err)
	}
	from = 0
	welcome := again.waitFor(t, "welcome", &from)
	if string(welcome["v"]) != "0" {
		t.Fatalf("welcome after the failure at v %s, want 0: the refused ops are not kept", welcome["v"])
	}
}

// TestRoomPipelineLeaveInFlight: a member who leaves while their op is in
// flight gets nothing more, and the others still get the op once durable.
func TestRoomPipelineLeaveInFlight(t *testing.T) {
	_, gate, h, w, s, m := pipelineRoom(t)
	other := newInbox()
	if _, err := h.Join(t.Context(), w.Code, JoinRequest{Role: board.RoleServiceUser}, other); err != nil {
		t.Fatal(err)
	}
	from := 0
	other.waitFor(t, "welcome", &from)
	id := uuid.NewString()
	s.Submit(id, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "sent before leaving"}})
	<-gate.arrived
	s.Leave()
	for left := false; !left; {
		var p struct {
			People []struct {
				ID     string `json:"id"`
				Online bool   `json:"online"`
			} `json:"people"`
		}
		json.Unmarshal(other.waitFor(t, "presence", &from)["people"], &p.People)
		for _, person := range p.People {
			left = left || (person.ID == s.You().ID && !person.Online)
		}
	}

	gate.openAll()
	op := other.waitFor(t, "op", &from)
	if string(op["id"]) != `"`+id+`"` || string(op["v"]) != "1" {
		t.Fatalf("op %s at v %s, want %s at 1", op["id"], op["v"], id)
	}
	if got := frameTypes(m); len(got) != 0 {
		t.Fatalf("the member who left was sent %v, want nothing", got)
	}
}
