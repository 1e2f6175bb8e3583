package hub

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// countingStore is the real embedded store, counting the reads of a
// workshop's whole register.
type countingStore struct {
	*EmbeddedStore
	participants atomic.Int64
}

func (s *countingStore) Participants(ctx context.Context, id string) ([]board.Participant, error) {
	s.participants.Add(1)
	return s.EmbeddedStore.Participants(ctx, id)
}

// TestFullWorkshopRefusesWithoutReadingRegister: a join into a full
// workshop is refused from the room's own register. Reading the store's
// only adds people, so it cannot make room; a flood of tokenless joins
// into a full workshop read and decoded the whole register for each one,
// on the room's goroutine, while every honest op waited.
func TestFullWorkshopRefusesWithoutReadingRegister(t *testing.T) {
	store := &countingStore{EmbeddedStore: openTestEmbedded(t)}
	h := newHubWith(t, store, Config{IdleTimeout: time.Minute, MaxParticipants: 1})
	w, _, err := h.CreateWorkshop(t.Context(), "Full")
	if err != nil {
		t.Fatal(err)
	}
	joinWelcomed(t, h, w.Code, board.RoleStaff) // online: the workshop is full
	before := store.participants.Load()
	const floods = 20
	for i := range floods {
		if _, jerr := h.Join(t.Context(), w.Code, JoinRequest{Name: "Flood", Role: board.RoleServiceUser}, newInbox()); jerr == nil || jerr.Code != board.CodeFull {
			t.Fatalf("join %d into a full workshop: %v, want full", i, jerr)
		}
	}
	if got := store.participants.Load() - before; got != 0 {
		t.Errorf("%d refused joins read the register %d times, want 0", floods, got)
	}
}
