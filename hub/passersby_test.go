package hub

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// TestPassersByGiveBackTheirPlaces: someone who joined and left with
// nothing on the board takes no place in a full workshop and, after the
// grace, leaves the register and the store, so that a stream of tokenless
// joins cannot lock a workshop or grow it without bound. Someone who left
// with a card keeps their place and their token; the passer-by who comes
// back is let in as someone new.
func TestPassersByGiveBackTheirPlaces(t *testing.T) {
	defer func(was time.Duration) { passerByGrace = was }(passerByGrace)
	passerByGrace = 0
	store := openTestEmbedded(t)
	h := newHubWith(t, store, Config{IdleTimeout: time.Minute, MaxParticipants: 2})
	w, _, err := h.CreateWorkshop(t.Context(), "Passers-by")
	if err != nil {
		t.Fatal(err)
	}
	writer, wm, from := joinWelcomed(t, h, w.Code, board.RoleStaff)
	writer.Submit(uuid.NewString(), board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "kept"}})
	wm.waitFor(t, "ack", &from)
	stayer, _, _ := joinWelcomed(t, h, w.Code, board.RoleServiceUser) // online: the workshop is full

	if _, jerr := h.Join(t.Context(), w.Code, JoinRequest{Role: board.RoleServiceUser}, newInbox()); jerr == nil || jerr.Code != board.CodeFull {
		t.Fatalf("a third join into a workshop of 2: %v, want full", jerr)
	}
	stayer.Leave() // left with nothing: the place is free again
	passer, _, _ := joinWelcomed(t, h, w.Code, board.RoleServiceUser)
	writer.Leave()
	passer.Leave()

	forgotten := func() bool {
		done := make(chan bool, 1)
		writer.room.post(inspectReq(func(r *Room) {
			r.forgetPassersBy()
			_, stayerIn := r.people.byID[stayer.You().ID]
			_, writerIn := r.people.byID[writer.You().ID]
			done <- !stayerIn && writerIn
		}), nil)
		return <-done
	}
	waitUntil(t, forgotten)
	list, err := store.Participants(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		if p.ID == stayer.You().ID || p.ID == passer.You().ID {
			t.Errorf("a passer-by is still in the store: %+v", p)
		}
	}
	back, _, _ := joinWelcomedWith(t, h, w.Code, JoinRequest{Token: writer.You().Token})
	if back.You().ID != writer.You().ID {
		t.Errorf("someone with a card came back as %s, want %s", back.You().ID, writer.You().ID)
	}
	again, _, _ := joinWelcomedWith(t, h, w.Code, JoinRequest{Role: board.RoleServiceUser, Token: stayer.You().Token})
	if again.You().ID == stayer.You().ID {
		t.Errorf("a forgotten passer-by came back as their old self")
	}
}

// joinWelcomedWith joins with req and returns once welcome has arrived.
func joinWelcomedWith(t *testing.T, h *Hub, code string, req JoinRequest) (*Session, *inbox, int) {
	t.Helper()
	m := newInbox()
	s, jerr := h.Join(t.Context(), code, req, m)
	if jerr != nil {
		t.Fatal(jerr)
	}
	from := 0
	m.waitFor(t, "welcome", &from)
	return s, m, from
}
