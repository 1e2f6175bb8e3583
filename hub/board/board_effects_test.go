package board

import (
	"testing"
)

// TestBoardMoveIndex checks card.move's index: the position in the
// destination once the card has left its old place, past the end meaning
// last, and dense indexes in both cells afterwards.
func TestBoardMoveIndex(t *testing.T) {
	const (
		a = "a0000000-0000-4000-8000-00000000000a"
		b = "b0000000-0000-4000-8000-00000000000b"
		c = "c0000000-0000-4000-8000-00000000000c"
		d = "d0000000-0000-4000-8000-00000000000d"
		x = "e0000000-0000-4000-8000-0000000000e1"
		y = "e0000000-0000-4000-8000-0000000000e2"
		z = "e0000000-0000-4000-8000-0000000000e3"
	)
	plan, cons := ptrTo("plan"), ptrTo("consultation")
	do, conv := ptrTo("do"), ptrTo("conversation")
	tests := []struct {
		name      string
		card      string
		stage     *string
		level     *string
		index     *int
		wantIndex int
		wantPlan  []string // plan/consultation afterwards
		wantDo    []string // do/conversation afterwards
		wantTray  []string
	}{
		{"same cell forward", a, plan, cons, ptrTo(2), 2, []string{b, c, a, d}, []string{x, y}, []string{z}},
		{"same cell to last", a, plan, cons, ptrTo(3), 3, []string{b, c, d, a}, []string{x, y}, []string{z}},
		{"same cell past end", a, plan, cons, ptrTo(4), 3, []string{b, c, d, a}, []string{x, y}, []string{z}},
		{"same cell far past end", b, plan, cons, ptrTo(99), 3, []string{a, c, d, b}, []string{x, y}, []string{z}},
		{"same cell backward", d, plan, cons, ptrTo(0), 0, []string{d, a, b, c}, []string{x, y}, []string{z}},
		{"same cell one back", c, plan, cons, ptrTo(1), 1, []string{a, c, b, d}, []string{x, y}, []string{z}},
		{"same place", b, plan, cons, ptrTo(1), 1, []string{a, b, c, d}, []string{x, y}, []string{z}},
		{"no index is last", a, plan, cons, nil, 3, []string{b, c, d, a}, []string{x, y}, []string{z}},
		{"other cell middle", b, do, conv, ptrTo(1), 1, []string{a, c, d}, []string{x, b, y}, []string{z}},
		{"other cell first", d, do, conv, ptrTo(0), 0, []string{a, b, c}, []string{d, x, y}, []string{z}},
		{"other cell at end", a, do, conv, ptrTo(2), 2, []string{b, c, d}, []string{x, y, a}, []string{z}},
		{"other cell past end", a, do, conv, ptrTo(3), 2, []string{b, c, d}, []string{x, y, a}, []string{z}},
		{"to the tray", c, nil, nil, ptrTo(0), 0, []string{a, b, d}, []string{x, y}, []string{c, z}},
		{"from the tray", z, plan, cons, ptrTo(2), 2, []string{a, b, z, c, d}, []string{x, y}, nil},
		{"last card leaves a cell", y, nil, nil, nil, 1, []string{a, b, c, d}, []string{x}, []string{z, y}},
		{"tray within itself", z, nil, nil, ptrTo(7), 0, []string{a, b, c, d}, []string{x, y}, []string{z}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bd := NewBoard()
			for _, id := range []string{a, b, c, d} {
				mustPlay(t, bd, userA, addOp(id, "idea", plan, cons))
			}
			for _, id := range []string{x, y} {
				mustPlay(t, bd, staffA, addOp(id, "idea", do, conv))
			}
			mustPlay(t, bd, staffA, addOp(z, "idea", nil, nil))

			e := mustPlay(t, bd, staffA, moveOp(tc.card, tc.stage, tc.level, tc.index))
			if e.Op.Index == nil || *e.Op.Index != tc.wantIndex {
				t.Errorf("normalised index: got %v, want %d", e.Op.Index, tc.wantIndex)
			}
			for _, cell := range []struct {
				stage, level string
				want         []string
			}{{"plan", "consultation", tc.wantPlan}, {"do", "conversation", tc.wantDo}, {"", "", tc.wantTray}} {
				if got := cellOf(bd, cell.stage, cell.level); !equalIDs(got, cell.want) {
					t.Errorf("cell %q: got %v, want %v", cellKey(cell.stage, cell.level), got, cell.want)
				}
			}
			if got := bd.indexIn(bd.Cards[tc.card]); got != tc.wantIndex {
				t.Errorf("card index: got %d, want %d", got, tc.wantIndex)
			}
			checkCells(t, bd, true)
		})
	}
}

// TestBoardVoteBudget walks one participant through the vote budget:
// never beyond it, never below zero, and lowering it keeps votes cast.
func TestBoardVoteBudget(t *testing.T) {
	b := newFixture(t)
	steps := []struct {
		name  string
		by    actor
		op    Op
		want  string
		spent int // userA's votes afterwards
	}{
		{"first vote", userA, voteOp(cardOther, 1), "accepted", 1},
		{"second on the same card", userA, voteOp(cardOther, 1), "accepted", 2},
		{"third elsewhere", userA, voteOp(cardStaff, 1), "accepted", 3},
		{"fourth is beyond the budget", userA, voteOp(cardFac, 1), CodeInvalid, 3},
		{"take one back", userA, voteOp(cardOther, -1), "accepted", 2},
		{"vote again", userA, voteOp(cardFac, 1), "accepted", 3},
		{"budget lowered to 1", facA, Op{Kind: KindVotesSet, Budget: ptrTo(1)}, "accepted", 3},
		{"still beyond the budget", userA, voteOp(cardUser, 1), CodeInvalid, 3},
		{"take back to 2", userA, voteOp(cardFac, -1), "accepted", 2},
		{"take back to 1", userA, voteOp(cardStaff, -1), "accepted", 1},
		{"at the lower budget", userA, voteOp(cardUser, 1), CodeInvalid, 1},
		{"take back to 0", userA, voteOp(cardOther, -1), "accepted", 0},
		{"none left to take back", userA, voteOp(cardOther, -1), CodeInvalid, 0},
		{"within the lower budget", userA, voteOp(cardUser, 1), "accepted", 1},
		{"budget raised to 20", facA, Op{Kind: KindVotesSet, Budget: ptrTo(20)}, "accepted", 1},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			_, err := play(b, s.by, s.op)
			if got := codeOf(err); got != s.want {
				t.Fatalf("got %s, want %s", got, s.want)
			}
			if got := b.Spent(userA.id); got != s.spent {
				t.Errorf("spent: got %d, want %d", got, s.spent)
			}
			checkVotes(t, b, []actor{userA})
		})
	}
	if t.Failed() {
		return
	}
	for i := 1; i < 20; i++ {
		mustPlay(t, b, userA, voteOp(cardOther, 1))
	}
	if _, err := play(b, userA, voteOp(cardOther, 1)); codeOf(err) != CodeInvalid {
		t.Errorf("21st vote on a budget of 20: got %s, want %s", codeOf(err), CodeInvalid)
	}
}

// TestBoardDeleteReturnsVotes checks that deleting a card gives its votes
// back to every voter's budget.
func TestBoardDeleteReturnsVotes(t *testing.T) {
	for _, by := range []actor{otherA, facA} {
		t.Run(string(by.role), func(t *testing.T) {
			b := newFixture(t)
			for range DefaultVoteBudget {
				mustPlay(t, b, userA, voteOp(cardOther, 1))
			}
			mustPlay(t, b, staffA, voteOp(cardOther, 1))
			mustPlay(t, b, staffA, voteOp(cardUser, 1))
			mustPlay(t, b, by, Op{Kind: KindCardDelete, CardID: cardOther})
			for _, w := range []struct {
				a    actor
				want int
			}{{userA, 0}, {staffA, 1}} {
				if got := b.Spent(w.a.id); got != w.want {
					t.Errorf("spent by %s: got %d, want %d", w.a.role, got, w.want)
				}
			}
			if _, err := play(b, userA, voteOp(cardStaff, 1)); err != nil {
				t.Errorf("vote after the delete: got %s, want accepted", err.Code)
			}
			checkVotes(t, b, []actor{userA, staffA})
		})
	}
}

// TestBoardStageAgreeConsent checks when a stage's consent answers survive
// a change to its agreed level.
func TestBoardStageAgreeConsent(t *testing.T) {
	tests := []struct {
		name      string
		stage     string
		level     *string
		note      *string
		wantAgree int // agree answers left for plan
	}{
		{"same level keeps answers", "plan", ptrTo("conversation"), nil, 2},
		{"same level with a new note keeps answers", "plan", ptrTo("conversation"), ptrTo("new note"), 2},
		{"other level clears answers", "plan", ptrTo("participation"), nil, 0},
		{"null level clears answers", "plan", nil, nil, 0},
		{"other stage leaves them", "do", ptrTo("consultation"), nil, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newFixture(t)
			for _, a := range []actor{userA, staffA} {
				mustPlay(t, b, a, Op{Kind: KindConsentSet, Stage: ptrTo("plan"), Answer: "agree"})
			}
			mustPlay(t, b, facA, Op{Kind: KindStageAgree, Stage: &tc.stage, Level: tc.level, Note: tc.note})
			if got := b.ConsentCounts()["plan"]["agree"]; got != tc.wantAgree {
				t.Errorf("agree answers for plan: got %d, want %d", got, tc.wantAgree)
			}
			if tc.note != nil && b.Stages[tc.stage].Note != *tc.note {
				t.Errorf("note: got %q, want %q", b.Stages[tc.stage].Note, *tc.note)
			}
		})
	}
}

// TestBoardParticipantRemove checks that a removed person's votes and
// consent answers go, their cards only when asked, and that they can do
// nothing afterwards.
func TestBoardParticipantRemove(t *testing.T) {
	for _, removeCards := range []bool{false, true} {
		name := "keep cards"
		if removeCards {
			name = "remove cards"
		}
		t.Run(name, func(t *testing.T) {
			b := newFixture(t)
			mustPlay(t, b, userA, voteOp(cardOther, 1))
			mustPlay(t, b, userA, voteOp(cardUser, 1))
			mustPlay(t, b, staffA, voteOp(cardUser, 1))
			mustPlay(t, b, staffA, voteOp(cardOther, 1))
			mustPlay(t, b, userA, Op{Kind: KindConsentSet, Stage: ptrTo("plan"), Answer: "disagree"})
			mustPlay(t, b, staffA, Op{Kind: KindConsentSet, Stage: ptrTo("plan"), Answer: "agree"})

			mustPlay(t, b, facA, Op{Kind: KindParticipantRemove, ParticipantID: userA.id, RemoveCards: &removeCards})

			if got := b.Spent(userA.id); got != 0 {
				t.Errorf("removed person's votes: got %d, want 0", got)
			}
			if got := b.Cards[cardOther].voteCount(); got != 1 {
				t.Errorf("votes on someone else's card: got %d, want 1 (staff's)", got)
			}
			if got := b.ConsentCounts()["plan"]; got["disagree"] != 0 || got["agree"] != 1 {
				t.Errorf("plan consent: got %v, want staff's agree only", got)
			}
			wantStaff := 2
			if removeCards {
				wantStaff = 1 // the vote on the removed card came back
			}
			if got := b.Spent(staffA.id); got != wantStaff {
				t.Errorf("staff's votes: got %d, want %d", got, wantStaff)
			}
			if got := b.Cards[cardUser] != nil; got == removeCards {
				t.Errorf("removed person's card on the board: got %v, want %v", got, !removeCards)
			}
			if !removeCards && b.Cards[cardUser].By != userA.id {
				t.Errorf("kept card's author: got %s, want %s", b.Cards[cardUser].By, userA.id)
			}
			checkCells(t, b, true)
			checkVotes(t, b, []actor{userA, staffA})
			if _, err := play(b, userA, addOp(newCard, "back again", nil, nil)); codeOf(err) != CodeRemoved {
				t.Errorf("removed person adds: got %s, want %s", codeOf(err), CodeRemoved)
			}
			if removeCards {
				if _, err := play(b, staffA, addOp(cardUser, "same id", nil, nil)); codeOf(err) != CodeInvalid {
					t.Errorf("re-adding a removed card's id: got %s, want %s", codeOf(err), CodeInvalid)
				}
			}
		})
	}
}

// TestBoardConsentPrevious: a consent.set carries the answer it replaces,
// and each viewer's own answers come with their view of the board.
func TestBoardConsentPrevious(t *testing.T) {
	b := newFixture(t)
	answer := func(a string) Op { return Op{Kind: KindConsentSet, Stage: ptrTo("plan"), Answer: a} }
	first := mustPlay(t, b, userA, answer("unsure"))
	if first.Op.Previous != "" {
		t.Fatalf("first answer: previous %q, want none", first.Op.Previous)
	}
	second := mustPlay(t, b, userA, answer("agree"))
	if second.Op.Previous != "unsure" {
		t.Fatalf("second answer: previous %q, want unsure", second.Op.Previous)
	}
	if got := b.View(userA.viewer(), Workshop{}, nil).MyConsent; len(got) != 1 || got["plan"] != "agree" {
		t.Errorf("own view: myConsent %v, want plan: agree", got)
	}
	if got := b.View(staffA.viewer(), Workshop{}, nil).MyConsent; len(got) != 0 {
		t.Errorf("another's view: myConsent %v, want none", got)
	}
}
