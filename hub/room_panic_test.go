package hub

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// TestRoomPanicStopsOnlyThatRoom: a panic in one room's goroutine ends
// that room, not the process. Its members are told to come back (bye); the
// next join loads the board from the store with every acknowledged op;
// another workshop's room goes on serving; and the op the room was
// handling when it panicked is refused when sent again, instead of
// stopping room after room.
func TestRoomPanicStopsOnlyThatRoom(t *testing.T) {
	store := openTestEmbedded(t)
	h, w, s, m := openWorkshop(t, store, board.RoleServiceUser)
	other, _, err := h.CreateWorkshop(t.Context(), "Another workshop")
	if err != nil {
		t.Fatal(err)
	}
	os, om, ofrom := joinWelcomed(t, h, other.Code, board.RoleStaff)

	from := 0
	add := uuid.NewString()
	s.Submit(add, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "kept across the panic"}})
	if f := m.waitFor(t, "ack", &from); !strings.Contains(string(f["id"]), add) {
		t.Fatalf("ack for %s, got %s", add, f["id"])
	}

	poison := uuid.NewString()
	room := s.room
	room.post(inspectReq(func(r *Room) {
		r.handling = poison // as if the op with this id had panicked
		panic("a bug in the room")
	}), nil)
	<-room.done
	waitUntil(t, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return strings.Contains(string(m.closed), `"bye"`)
	})

	// The other room serves on.
	os.Submit(uuid.NewString(), board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "still served"}})
	om.waitFor(t, "ack", &ofrom)

	// The workshop loads again, with the card.
	s2, m2, from2 := joinWelcomed(t, h, w.Code, board.RoleServiceUser)
	if s2.room == room {
		t.Fatal("the stopped room was reused")
	}
	m2.mu.Lock()
	welcome := string(m2.frames[0])
	m2.mu.Unlock()
	if !strings.Contains(welcome, "kept across the panic") {
		t.Errorf("after the panic the board lost an acknowledged card: %s", welcome)
	}

	// The op blamed for the panic is refused, plainly.
	s2.Submit(poison, board.Op{Kind: board.KindFocusSet})
	f := m2.waitFor(t, "nack", &from2)
	if string(f["code"]) != `"invalid"` || !strings.Contains(string(f["message"]), "not saved") {
		t.Errorf("the op that stopped a room, sent again: %s %s, want invalid with a plain message", f["code"], f["message"])
	}
}
