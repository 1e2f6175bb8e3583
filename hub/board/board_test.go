package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/google/uuid"
)

// actor is someone who sends ops in the board tests.
type actor struct {
	id   string
	role Role
}

// The people and cards of the board fixture.
var (
	facA   = actor{"f0000000-0000-4000-8000-000000000001", RoleFacilitator}
	staffA = actor{"50000000-0000-4000-8000-000000000002", RoleStaff}
	userA  = actor{"a0000000-0000-4000-8000-000000000003", RoleServiceUser}
	otherA = actor{"b0000000-0000-4000-8000-000000000004", RoleServiceUser}

	cardFac   = "c0000000-0000-4000-8000-00000000000f"
	cardStaff = "c0000000-0000-4000-8000-000000000005"
	cardUser  = "c0000000-0000-4000-8000-000000000003"
	cardOther = "c0000000-0000-4000-8000-000000000004"
)

// ownCardOf is the fixture card each actor wrote.
var ownCardOf = map[actor]string{facA: cardFac, staffA: cardStaff, userA: cardUser, otherA: cardOther}

func (a actor) viewer() Viewer { return Viewer{ID: a.id, Role: a.role} }

func ptrTo[T any](v T) *T { return &v }

// play prepares op as sent by a at the board's next version and applies it
// when it is accepted, as a room does.
func play(b *Board, a actor, op Op) (Entry, *Error) {
	e := Entry{V: b.V + 1, ID: uuid.NewString(), By: a.id, ByRole: a.role, At: time.Now().UTC(), Op: op}
	if err := b.Prepare(&e); err != nil {
		return e, err
	}
	b.Apply(e)
	return e, nil
}

func mustPlay(t *testing.T, b *Board, a actor, op Op) Entry {
	t.Helper()
	e, err := play(b, a, op)
	if err != nil {
		t.Fatalf("%s by %s: got %s, want accepted", op.Kind, a.role, err)
	}
	return e
}

// codeOf names a Prepare outcome: a contract code, or "accepted".
func codeOf(err *Error) string {
	if err == nil {
		return "accepted"
	}
	return err.Code
}

func addOp(id, text string, stage, level *string) Op {
	return Op{Kind: KindCardAdd, Card: &CardInput{ID: id, Text: text, Stage: stage, Level: level}}
}

func addTo(id, text, stage, level string) Op {
	return addOp(id, text, ptrTo(stage), ptrTo(level))
}

func moveOp(id string, stage, level *string, index *int) Op {
	return Op{Kind: KindCardMove, CardID: id, Stage: stage, Level: level, Index: index}
}

func voteOp(id string, delta int) Op { return Op{Kind: KindCardVote, CardID: id, Delta: &delta} }

func phaseOp(p Phase) Op { return Op{Kind: KindPhaseSet, Phase: string(p)} }

// newFixture returns a board in phase open with one card by each actor
// (two in plan/consultation, one in do/conversation, the facilitator's in
// the tray) and an agreed level for the stage plan.
func newFixture(t *testing.T) *Board {
	t.Helper()
	b := NewBoard()
	mustPlay(t, b, userA, addTo(cardUser, "user card", "plan", "consultation"))
	mustPlay(t, b, staffA, addTo(cardStaff, "staff card", "plan", "consultation"))
	mustPlay(t, b, otherA, addTo(cardOther, "other card", "do", "conversation"))
	mustPlay(t, b, facA, addOp(cardFac, "facilitator card", nil, nil))
	mustPlay(t, b, facA, Op{Kind: KindStageAgree, Stage: ptrTo("plan"), Level: ptrTo("conversation")})
	return b
}

func marshalBoard(t *testing.T, b *Board) []byte {
	t.Helper()
	data, err := b.MarshalBoard()
	if err != nil {
		t.Fatalf("MarshalBoard: %v", err)
	}
	return data
}

// checkCells asserts that every card sits in exactly one cell list that
// matches its stage and level and, when viewed is true, that every cell,
// as a viewer sees it, is indexed 0..n-1 in order.
func checkCells(t *testing.T, b *Board, viewed bool) {
	t.Helper()
	seen := map[string]bool{}
	for k, ids := range b.Cells {
		if len(ids) == 0 {
			t.Errorf("cell %q: got an empty list, want it gone", k)
		}
		for _, id := range ids {
			c := b.Cards[id]
			switch {
			case c == nil:
				t.Errorf("cell %q: got card %s, want only cards on the board", k, id)
			case seen[id]:
				t.Errorf("card %s: got it twice in the cells, want once", id)
			case cellKey(c.Stage, c.Level) != k:
				t.Errorf("card %s: got it in cell %q, want %q", id, k, cellKey(c.Stage, c.Level))
			}
			seen[id] = true
		}
	}
	if len(seen) != len(b.Cards) {
		t.Errorf("got %d cards in cells, want %d", len(seen), len(b.Cards))
	}
	if !viewed {
		return
	}
	next := map[string]int{}
	for _, c := range b.View(facA.viewer(), Workshop{}, nil).Cards {
		k := cellKey(deref(c.Stage), deref(c.Level))
		if c.Index != next[k] {
			t.Errorf("card %s in cell %q: got index %d, want %d", c.ID, k, c.Index, next[k])
		}
		next[k] = c.Index + 1
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// cellOf lists the card ids of one cell ("" stage for the tray) in order.
func cellOf(b *Board, stage, level string) []string {
	return append([]string{}, b.Cells[cellKey(stage, level)]...)
}

// checkVotes asserts that each voter's spent votes are the sum of their
// votes on the cards and that no count is negative.
func checkVotes(t *testing.T, b *Board, voters []actor) {
	t.Helper()
	sum := map[string]int{}
	for _, c := range b.Cards {
		for p, n := range c.Votes {
			if n < 0 {
				t.Errorf("card %s: got %d votes by %s, want 0 or more", c.ID, n, p)
			}
			sum[p] += n
		}
	}
	for _, a := range voters {
		if got := b.Spent(a.id); got != sum[a.id] {
			t.Errorf("Spent(%s): got %d, want %d (the sum of their votes)", a.role, got, sum[a.id])
		}
	}
}

// randomOp makes an op, valid or not, by one of actors, for the cards on b.
func randomOp(r *rand.Rand, b *Board, actors []actor) (actor, Op) {
	a := actors[r.Intn(len(actors))]
	cards := make([]string, 0, len(b.Cards)+2)
	for _, c := range b.Ordered() {
		cards = append(cards, c.ID)
	}
	cards = append(cards, uuid.NewString()) // unknown
	for id := range b.UsedIDs {             // deleted
		cards = append(cards, id)
		break
	}
	card := cards[r.Intn(len(cards))]
	stage, level := randomPlace(r)
	switch n := r.Intn(100); {
	case n < 25:
		return a, addOp(uuid.NewString(), fmt.Sprintf(" idea %d ", r.Intn(1000)), stage, level)
	case n < 45:
		return a, moveOp(card, stage, level, ptrTo(r.Intn(6)-1))
	case n < 70:
		return a, voteOp(card, []int{1, 1, 1, -1, -1, -1, 2}[r.Intn(7)])
	case n < 76:
		return a, Op{Kind: KindCardDelete, CardID: card}
	case n < 80:
		return a, Op{Kind: KindCardEdit, CardID: card, Text: ptrTo("edited")}
	case n < 84:
		return a, Op{Kind: KindVotesSet, Budget: ptrTo(r.Intn(8))}
	case n < 88:
		return a, Op{Kind: KindStageAgree, Stage: ptrTo(Stages[r.Intn(2)]), Level: level}
	case n < 93:
		return a, Op{Kind: KindConsentSet, Stage: ptrTo(Stages[r.Intn(2)]), Answer: []string{"agree", "unsure", "disagree"}[r.Intn(3)]}
	case n < 97:
		return facA, phaseOp([]Phase{PhaseOpen, PhaseOpen, PhaseOpen, PhaseOpen, PhasePrivate, PhaseLocked, PhaseClosed}[r.Intn(7)])
	case n < 98 && r.Intn(10) == 0: // rare, so that people stay to play
		victim := actors[r.Intn(len(actors))]
		return facA, Op{Kind: KindParticipantRemove, ParticipantID: victim.id, RemoveCards: ptrTo(r.Intn(2) == 0)}
	default:
		return a, Op{Kind: KindCardAgree, CardID: card, Agreed: ptrTo(r.Intn(2) == 0)}
	}
}

func randomPlace(r *rand.Rand) (*string, *string) {
	if r.Intn(5) == 0 {
		return nil, nil
	}
	return ptrTo(Stages[r.Intn(len(Stages))]), ptrTo(Levels[r.Intn(len(Levels))])
}

// randomActors are the people of the randomised tests.
var randomActors = []actor{
	facA, staffA, userA, otherA,
	{"50000000-0000-4000-8000-000000000012", RoleStaff},
	{"a0000000-0000-4000-8000-000000000013", RoleServiceUser},
}

// TestBoardInvariants plays thousands of random ops and checks, after each,
// that cells stay dense, votes add up and stay within the budget, refused
// ops change nothing, and removed people can do nothing.
func TestBoardInvariants(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			b := NewBoard()
			accepted := map[string]int{}
			for i := 0; i < 3000 && !t.Failed(); i++ {
				a, op := randomOp(r, b, randomActors)
				var before []byte
				if i%20 == 0 { // encoding the board is slow; sample
					before = marshalBoard(t, b)
				}
				wasRemoved := b.Removed[a.id]
				e, err := play(b, a, op)
				if err != nil {
					if before != nil && !bytes.Equal(before, marshalBoard(t, b)) {
						t.Fatalf("op %d %s refused with %s: got the board changed, want it unchanged", i, op.Kind, err.Code)
					}
					if wasRemoved && err.Code != CodeRemoved {
						t.Errorf("op %d %s by a removed %s: got %s, want %s", i, op.Kind, a.role, err.Code, CodeRemoved)
					}
					continue
				}
				accepted[op.Kind]++
				if wasRemoved {
					t.Errorf("op %d %s by a removed %s: got accepted, want %s", i, op.Kind, a.role, CodeRemoved)
				}
				if b.V != e.V {
					t.Errorf("op %d: got version %d, want %d", i, b.V, e.V)
				}
				if op.Kind == KindCardVote && *op.Delta > 0 && b.Spent(a.id) > b.VoteBudget {
					t.Errorf("op %d: got %d votes spent by %s, want at most the budget %d", i, b.Spent(a.id), a.role, b.VoteBudget)
				}
				checkCells(t, b, i%50 == 0)
				checkVotes(t, b, randomActors)
				for s, answers := range b.Consent {
					if len(answers) > 0 && b.Stages[s].AgreedLevel == "" {
						t.Errorf("op %d: got %d consent answers for %s, want none without an agreed level", i, len(answers), s)
					}
				}
				for id := range b.Removed {
					if b.Spent(id) != 0 {
						t.Errorf("op %d: got %d votes by removed %s, want 0", i, b.Spent(id), id)
					}
				}
			}
			for _, k := range []string{KindCardAdd, KindCardMove, KindCardVote, KindCardDelete, KindConsentSet, KindParticipantRemove} {
				if accepted[k] == 0 {
					t.Errorf("got no %s accepted, want some for the test to mean something", k)
				}
			}
		})
	}
}

// TestBoardSnapshot checks that a board decoded from its snapshot looks the
// same to everyone, has its vote totals rebuilt, and goes on the same way.
func TestBoardSnapshot(t *testing.T) {
	for _, phase := range []Phase{PhaseOpen, PhasePrivate} {
		t.Run(string(phase), func(t *testing.T) {
			r := rand.New(rand.NewSource(42))
			b := NewBoard()
			people := randomActors[:4] // no removals: keep everyone voting
			for i := 0; i < 1500; i++ {
				a, op := randomOp(r, b, people)
				if op.Kind == KindParticipantRemove || op.Kind == KindPhaseSet {
					continue
				}
				play(b, a, op)
			}
			mustPlay(t, b, facA, phaseOp(phase))
			spent := 0
			for _, a := range people {
				spent += b.Spent(a.id)
			}
			if spent == 0 {
				t.Fatalf("got no votes on the board, want some for the test to mean something")
			}

			c, err := UnmarshalBoard(marshalBoard(t, b))
			if err != nil {
				t.Fatalf("UnmarshalBoard: %v", err)
			}
			sameViews(t, b, c, people)
			for i := 0; i < 300; i++ {
				a, op := randomOp(r, b, people)
				opCopy := op
				if op.Card != nil {
					opCopy.Card = ptrTo(*op.Card)
				}
				e := Entry{V: b.V + 1, ID: uuid.NewString(), By: a.id, ByRole: a.role, At: time.Now().UTC(), Op: op}
				e2 := e
				e2.Op = opCopy
				errB, errC := b.Prepare(&e), c.Prepare(&e2)
				if codeOf(errB) != codeOf(errC) {
					t.Fatalf("op %d %s: got %s on the decoded board, want %s", i, op.Kind, codeOf(errC), codeOf(errB))
				}
				if errB == nil {
					b.Apply(e)
					c.Apply(e2)
				}
			}
			sameViews(t, b, c, people)
		})
	}
}

// sameViews asserts that two boards look the same to each of people and
// have the same votes spent.
func sameViews(t *testing.T, want, got *Board, people []actor) {
	t.Helper()
	w := Workshop{ID: uuid.NewString(), Code: "ABCDEF", Title: "Snapshot"}
	for _, a := range people {
		wv, _ := json.Marshal(want.View(a.viewer(), w, nil))
		gv, _ := json.Marshal(got.View(a.viewer(), w, nil))
		if !bytes.Equal(gv, wv) {
			t.Errorf("view for %s: got\n%s\nwant\n%s", a.role, gv, wv)
		}
		if got.Spent(a.id) != want.Spent(a.id) {
			t.Errorf("Spent(%s): got %d, want %d", a.role, got.Spent(a.id), want.Spent(a.id))
		}
	}
	if got.V != want.V {
		t.Errorf("version: got %d, want %d", got.V, want.V)
	}
}
