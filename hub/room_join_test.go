package hub

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// slowWriteStore is the real embedded store, with the participant writes
// of people named "Slow" held until release is closed.
type slowWriteStore struct {
	*EmbeddedStore
	release chan struct{}
}

func (s *slowWriteStore) PutParticipant(ctx context.Context, id string, p board.Participant) error {
	if p.Name == "Slow" {
		<-s.release
	}
	return s.EmbeddedStore.PutParticipant(ctx, id, p)
}

// TestJoinDoesNotHoldUpTheRoom: while a newcomer's participant is being
// written, the room goes on: a member's op is acknowledged, and a later
// newcomer whose write is done is welcomed first. The newcomer being
// written counts against the workshop's capacity, and is welcomed once
// its write returns.
func TestJoinDoesNotHoldUpTheRoom(t *testing.T) {
	store := &slowWriteStore{EmbeddedStore: openTestEmbedded(t), release: make(chan struct{})}
	h := newHubWith(t, store, Config{IdleTimeout: time.Minute, MaxParticipants: 3})
	w, _, err := h.CreateWorkshop(t.Context(), "Busy")
	if err != nil {
		t.Fatal(err)
	}
	member, mbox, from := joinWelcomed(t, h, w.Code, board.RoleStaff)

	type joined struct {
		s   *Session
		err *board.Error
	}
	slow := make(chan joined, 1)
	slowBox := newInbox()
	go func() {
		s, err := h.Join(context.Background(), w.Code, JoinRequest{Name: "Slow", Role: board.RoleServiceUser}, slowBox)
		slow <- joined{s, err}
	}()
	inRoom := func(f func(r *Room)) {
		done := make(chan struct{})
		member.room.post(inspectReq(func(r *Room) { f(r); close(done) }), nil)
		<-done
	}
	waitUntil(t, func() bool {
		n := 0
		inRoom(func(r *Room) { n = len(r.saving) })
		return n == 1
	})

	member.Submit(uuid.NewString(), board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "While someone joins"}})
	if a := mbox.nextAnswer(t, &from); a.T != "ack" {
		t.Fatalf("op while a join is written: %s %s %s", a.T, a.Code, a.Message)
	}
	joinWelcomedWith(t, h, w.Code, JoinRequest{Name: "Quick", Role: board.RoleServiceUser})
	if _, jerr := h.Join(t.Context(), w.Code, JoinRequest{Name: "One too many", Role: board.RoleServiceUser}, newInbox()); jerr == nil || jerr.Code != board.CodeFull {
		t.Fatalf("a fourth join with three places, one being written: %v, want full", jerr)
	}
	select {
	case j := <-slow:
		t.Fatalf("the slow join was answered before its write: %+v", j)
	default:
	}

	close(store.release)
	j := <-slow
	if j.err != nil {
		t.Fatalf("the slow join: %v", j.err)
	}
	at := 0
	slowBox.waitFor(t, "welcome", &at)
	found := false
	inRoom(func(r *Room) { found = r.people.byID[j.s.You().ID] != nil })
	if !found {
		t.Error("the slow newcomer is not in the room's register")
	}
	stored, err := store.Participants(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 3 {
		t.Errorf("%d participants stored, want 3", len(stored))
	}
}
