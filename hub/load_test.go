package hub

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// TestExportFromStore reads a workshop's record through a hub, from the
// store alone (no room is live), and finds what the same entries make of
// a board in memory.
func TestExportFromStore(t *testing.T) {
	store := openTestEmbedded(t)
	h := newTestHub(t, store)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	w := board.Workshop{ID: uuid.NewString(), Code: "K7P3QX", Title: "Youth panel", CreatedAt: t0}
	fac := board.Participant{ID: uuid.NewString(), Name: "Ada", Role: board.RoleFacilitator, JoinedAt: t0}
	su := board.Participant{ID: uuid.NewString(), Role: board.RoleServiceUser, JoinedAt: t0.Add(time.Minute)}
	people := []board.Participant{su, fac}
	if err := store.CreateWorkshop(ctx, w); err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if err := store.PutParticipant(ctx, w.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	card, plan, conv, one, yes := uuid.NewString(), "plan", "conversation", 1, true
	ops := []struct {
		by board.Participant
		op board.Op
	}{
		{su, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: card, Text: "Ask the youth panel", Stage: &plan, Level: &conv}}},
		{su, board.Op{Kind: board.KindCardVote, CardID: card, Delta: &one}},
		{fac, board.Op{Kind: board.KindStageAgree, Stage: &plan, Level: &conv}},
		{fac, board.Op{Kind: board.KindCardAgree, CardID: card, Agreed: &yes}},
		{su, board.Op{Kind: board.KindConsentSet, Stage: &plan, Answer: "agree"}},
		{fac, board.Op{Kind: board.KindPhaseSet, Phase: string(board.PhaseClosed)}},
	}
	b := board.NewBoard()
	for i, o := range ops {
		e := board.Entry{ID: uuid.NewString(), By: o.by.ID, ByRole: o.by.Role, At: t0, Op: o.op}
		if err := b.Prepare(&e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		v, err := store.Append(ctx, w.ID, int64(i), e)
		if err != nil {
			t.Fatalf("append entry %d: %v", i, err)
		}
		e.V = v
		b.Apply(e)
	}
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	got, err := h.Export(ctx, w, at)
	if err != nil {
		t.Fatal(err)
	}
	// The store keeps times to its own precision; compare as JSON.
	want := board.BuildExport(w, b, people, at)
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Errorf("export from store:\ngot  %s\nwant %s", gj, wj)
	}
	if len(got.Agreed) != 1 || got.Board.Phase != board.PhaseClosed {
		t.Errorf("export from store: %d agreed cards, phase %s; want 1, closed", len(got.Agreed), got.Board.Phase)
	}
	if h.LiveRooms() != 0 {
		t.Errorf("export loaded a room: %d live, want 0", h.LiveRooms())
	}
}
