package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// fuzzPeople act in FuzzApply: a facilitator, two staff and a service user.
var fuzzPeople = []Viewer{
	{ID: "f0000000-0000-4000-8000-000000000001", Role: RoleFacilitator},
	{ID: "50000000-0000-4000-8000-000000000002", Role: RoleStaff},
	{ID: "50000000-0000-4000-8000-000000000003", Role: RoleStaff},
	{ID: "u0000000-0000-4000-8000-000000000004", Role: RoleServiceUser},
}

// Choices a fuzz program picks from, good and bad.
var (
	fuzzKinds = []string{KindCardAdd, KindCardEdit, KindCardMove, KindCardDelete, KindCardVote, KindCardAgree,
		KindStageAgree, KindConsentSet, KindPhaseSet, KindFocusSet, KindTimerSet, KindVotesSet,
		KindParticipantRemove, KindResultsSet, KindJoinsSet, KindApprovalSet, KindCardApprove, KindConsentRound,
		KindCellSort, "card.fly", ""}
	fuzzTexts = []string{"Ask us first", "  padded  ", "", "   ", "two\nlines", "bell\a", "tab\there",
		strings.Repeat("é", maxCardText), strings.Repeat("x", maxCardText+1), "🙂", "\u2028", " \u00a0idea\u3000"}
	fuzzPhases  = []string{"open", "private", "locked", "closed", "open", "paused"}
	fuzzAnswers = []string{"agree", "unsure", "disagree", "maybe", ""}
	fuzzInts    = []*int{nil, ptr(-1), ptr(0), ptr(1), ptr(1), ptr(2), ptr(3), ptr(20), ptr(21), ptr(7200), ptr(7201)}
)

func ptr[T any](v T) *T { return &v }

// program turns fuzz bytes into a sequence of ops; past its end it reads
// zeros.
type program struct {
	data  []byte
	n     int
	fresh int // card ids made so far
}

func (p *program) next() int {
	if p.n >= len(p.data) {
		return 0
	}
	p.n++
	return int(p.data[p.n-1])
}

func pick[T any](p *program, list []T) T { return list[p.next()%len(list)] }

func (p *program) stage() *string {
	if i := p.next() % 6; i < len(Stages) {
		return &Stages[i]
	} else if i == 4 {
		return nil
	}
	return ptr("nowhere")
}

func (p *program) level() *string {
	if i := p.next() % 5; i < len(Levels) {
		return &Levels[i]
	} else if i == 3 {
		return nil
	}
	return ptr("high")
}

// cardID names a card on the board, mostly, or one that is not.
func (p *program) cardID(b *Board) string {
	i := p.next()
	cards := b.Ordered()
	switch {
	case i < 200 && len(cards) > 0:
		return cards[i%len(cards)].ID
	case i < 230:
		return "c0000000-0000-4000-8000-00000000dead"
	case i < 250:
		return ""
	}
	return "not a uuid"
}

// newCardID is a fresh card id, mostly, or one already used.
func (p *program) newCardID(b *Board) string {
	i := p.next()
	switch {
	case i < 220:
		p.fresh++
		return fmt.Sprintf("c0000000-0000-4000-8000-%012d", p.fresh)
	case i < 240:
		return p.cardID(b)
	case i < 250:
		for id := range b.UsedIDs {
			return id
		}
	}
	return "card-1"
}

// op makes the next op of the program.
func (p *program) op(b *Board) Op {
	op := Op{Kind: pick(p, fuzzKinds)}
	switch op.Kind {
	case KindCardAdd:
		if p.next()%16 != 0 {
			op.Card = &CardInput{ID: p.newCardID(b), Text: pick(p, fuzzTexts), Stage: p.stage(), Level: p.level()}
		}
	case KindCardEdit:
		op.CardID = p.cardID(b)
		if p.next()%8 != 0 {
			op.Text = ptr(pick(p, fuzzTexts))
		}
	case KindCardMove:
		op.CardID, op.Stage, op.Level = p.cardID(b), p.stage(), p.level()
		if i := p.next(); i != 255 {
			op.Index = ptr(int(int8(i)))
		}
	case KindCardDelete:
		op.CardID = p.cardID(b)
	case KindCardVote:
		op.CardID = p.cardID(b)
		op.Delta = pick(p, []*int{ptr(1), ptr(1), ptr(1), ptr(-1), ptr(-1), nil, ptr(0), ptr(2)})
	case KindCardAgree:
		op.CardID, op.Agreed = p.cardID(b), pick(p, []*bool{ptr(true), ptr(false), nil})
	case KindStageAgree:
		op.Stage, op.Level = p.stage(), p.level()
		if p.next()%2 == 0 {
			op.Note = ptr(pick(p, append(fuzzTexts, strings.Repeat("n", maxNote+1))))
		}
	case KindConsentSet:
		op.Stage, op.Answer = p.stage(), pick(p, fuzzAnswers)
	case KindPhaseSet:
		op.Phase = pick(p, fuzzPhases)
	case KindFocusSet:
		op.Stage = p.stage()
	case KindTimerSet:
		op.Seconds = pick(p, fuzzInts)
	case KindVotesSet:
		op.Budget = pick(p, fuzzInts)
	case KindParticipantRemove:
		people := []string{"", "p0000000-0000-4000-8000-00000000dead"}
		for _, v := range fuzzPeople {
			people = append(people, v.ID)
		}
		op.ParticipantID, op.RemoveCards = pick(p, people), pick(p, []*bool{ptr(true), ptr(false), nil})
	case KindResultsSet:
		op.Shown = pick(p, []*bool{ptr(true), ptr(false), nil})
	case KindJoinsSet:
		op.Open = pick(p, []*bool{ptr(true), ptr(false), nil})
	case KindApprovalSet:
		op.Required = pick(p, []*bool{ptr(true), ptr(false), nil})
	case KindCardApprove:
		op.CardID = p.cardID(b)
	case KindConsentRound:
		op.Stage = p.stage()
	case KindCellSort:
		op.Stage, op.Level = p.stage(), p.level()
	}
	return op
}

var contractCodes = map[string]bool{CodeInvalid: true, CodeForbidden: true, CodeLocked: true, CodeNotFound: true,
	CodeRateLimited: true, CodeTooLarge: true, CodeUnavailable: true, CodeBadJoin: true, CodeRemoved: true, CodeDeleted: true,
	CodeFull: true}

// FuzzApply runs programs of ops, from every role, against a board, and
// against a replica that receives each accepted entry as JSON (as from
// the store). It checks that nothing panics; that a refused op changes
// nothing and takes no version; that versions are contiguous; that the
// normalised op is accepted again as it is (Apply re-checks it); that
// the replica and a snapshot reload end with the same board; that cell
// indexes stay dense; and that no one's votes exceed the budget they
// were cast under.
func FuzzApply(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 1, 0, 1, 0, 3, 4, 2, 1, 0, 0, 2, 0, 3, 1, 4, 0, 0, 0, 0})
	f.Add([]byte("\x01\x00\x01\x00\x02\x02\x01\x04\x00\x02\x00\x01\x01\x04\x00\x00\x00\x00\x08\x02\x03\x01\x00\x05\x02"))
	f.Add([]byte("\x00\x00\x01\x00\x00\x00\x00\x00\x08\x01\x00\x04\x00\x00\x00\x00\x00\x03\x01\x00\x02\x00\x00\x08\x00\x00"))
	f.Fuzz(runProgram)
}

// maxProgram bounds a program, in bytes (about fifty ops): every step
// checks the whole board, and longer programs only slow the search.
const maxProgram = 256

// runProgram is FuzzApply's body: it runs one program and checks it.
func runProgram(t *testing.T, data []byte) {
	if len(data) > maxProgram {
		return // not interesting, so never minimised
	}
	p := &program{data: data}
	b, replica := NewBoard(), NewBoard()
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for step := 0; p.n < len(data); step++ {
		who := pick(p, fuzzPeople)
		e := Entry{ID: fmt.Sprintf("e0000000-0000-4000-8000-%012d", step), By: who.ID, ByRole: who.Role,
			At: start.Add(time.Duration(step) * time.Second), Op: p.op(b)}
		before, spent := mustBoard(t, b), maps.Clone(b.spent)
		err := b.Prepare(&e)
		if !bytes.Equal(before, mustBoard(t, b)) || !maps.Equal(spent, b.spent) {
			t.Fatalf("step %d: Prepare of %+v changed the board", step, e.Op)
		}
		if err != nil {
			if !contractCodes[err.Code] || err.Message == "" {
				t.Fatalf("step %d: refusal %+v: want a contract code and a message", step, err)
			}
			continue
		}
		again := e
		if err := b.Prepare(&again); err != nil {
			t.Fatalf("step %d: the prepared op %+v is refused when checked again: %v", step, e.Op, err)
		}
		if x, y := mustJSON(t, e.Op), mustJSON(t, again.Op); !bytes.Equal(x, y) {
			t.Fatalf("step %d: preparing twice changed the op:\n once %s\ntwice %s", step, x, y)
		}
		e.V = b.V + 1
		var wire Entry
		if err := json.Unmarshal(mustJSON(t, e), &wire); err != nil {
			t.Fatalf("step %d: decode entry: %v", step, err)
		}
		b.Apply(e)
		replica.Apply(wire)
		if b.V != e.V {
			t.Fatalf("step %d: board at version %d after applying %d", step, b.V, e.V)
		}
		if x, y := mustBoard(t, b), mustBoard(t, replica); !bytes.Equal(x, y) || !maps.Equal(b.spent, replica.spent) {
			t.Fatalf("step %d: the replica differs after %s:\nboard   %s\nreplica %s", step, mustJSON(t, e), x, y)
		}
		if e.Op.Kind == KindCardVote && *e.Op.Delta > 0 && b.spent[e.By] > b.VoteBudget {
			t.Fatalf("step %d: %s has %d votes, budget %d", step, e.By, b.spent[e.By], b.VoteBudget)
		}
		checkBoard(t, b, fuzzPeople[step%len(fuzzPeople):][:1])
	}
	checkBoard(t, b, fuzzPeople)
	reloaded, err := UnmarshalBoard(mustBoard(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if x, y := mustBoard(t, b), mustBoard(t, reloaded); !bytes.Equal(x, y) || !equalSpent(b.spent, reloaded.spent) {
		t.Fatalf("the board reloaded from a snapshot differs:\nlive   %s\nloaded %s", x, y)
	}
}

func mustBoard(t *testing.T, b *Board) []byte {
	t.Helper()
	data, err := b.MarshalBoard()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// equalSpent compares vote tallies, a participant at zero being the same
// as one never seen.
func equalSpent(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// checkBoard checks what must hold of any board the rules can reach, and
// of the board as viewers see it.
func checkBoard(t *testing.T, b *Board, viewers []Viewer) {
	t.Helper()
	seen := map[string]bool{}
	for key, ids := range b.Cells {
		if len(ids) == 0 {
			t.Fatalf("cell %q kept with no cards", key)
		}
		for i, id := range ids {
			c := b.Cards[id]
			switch {
			case c == nil:
				t.Fatalf("cell %q lists card %s, which is not on the board", key, id)
			case seen[id]:
				t.Fatalf("card %s is listed twice", id)
			case cellKey(c.Stage, c.Level) != key:
				t.Fatalf("card %s is at %s/%s but listed in %q", id, c.Stage, c.Level, key)
			case b.indexIn(c) != i:
				t.Fatalf("card %s: index %d, want %d", id, b.indexIn(c), i)
			}
			seen[id] = true
		}
	}
	if len(seen) != len(b.Cards) || len(b.Cards) > MaxCards {
		t.Fatalf("%d cards in cells, %d on the board (at most %d)", len(seen), len(b.Cards), MaxCards)
	}
	votes := map[string]int{}
	for _, c := range b.Cards {
		if (c.Stage == "") != (c.Level == "") || (c.Stage != "" && (!knownStage(c.Stage) || !knownLevel(c.Level))) {
			t.Fatalf("card %s at %q/%q: want a known cell or the tray", c.ID, c.Stage, c.Level)
		}
		if n := utf8.RuneCountInString(c.Text); n < 1 || n > maxCardText || c.Text != strings.TrimFunc(c.Text, unicode.IsSpace) {
			t.Fatalf("card %s text %q: want 1..%d characters, trimmed", c.ID, c.Text, maxCardText)
		}
		if b.UsedIDs[c.ID] {
			t.Fatalf("card %s is on the board and among the deleted", c.ID)
		}
		for p, n := range c.Votes {
			if n <= 0 || b.Removed[p] || p == fuzzPeople[0].ID {
				t.Fatalf("card %s: %d votes by %s (removed %v): want only positive votes by people still here, no facilitator", c.ID, n, p, b.Removed[p])
			}
			votes[p] += n
		}
	}
	if !equalSpent(votes, b.spent) {
		t.Fatalf("votes tallied %v, on the cards %v", b.spent, votes)
	}
	for p, n := range votes {
		if n > maxVoteBudget {
			t.Fatalf("%s has %d votes, past any budget", p, n)
		}
	}
	if b.VoteBudget < 0 || b.VoteBudget > maxVoteBudget {
		t.Fatalf("vote budget %d", b.VoteBudget)
	}
	for stage, answers := range b.Consent {
		if !knownStage(stage) || (len(answers) > 0 && b.Stages[stage].AgreedLevel == "") {
			t.Fatalf("consent on stage %q with agreed level %q", stage, b.Stages[stage].AgreedLevel)
		}
		for p, a := range answers {
			if b.Removed[p] || p == fuzzPeople[0].ID || (a != "agree" && a != "unsure" && a != "disagree") {
				t.Fatalf("consent %q by %s on %s", a, p, stage)
			}
		}
	}
	for _, viewer := range viewers {
		v := b.View(viewer, Workshop{}, nil)
		next := map[string]int{}
		for _, c := range v.Cards {
			key := cellKey(deref(c.Stage), deref(c.Level))
			if c.Index != next[key] {
				t.Fatalf("%s sees card %s at index %d of %q, want %d: indexes must be dense", viewer.Role, c.ID, c.Index, key, next[key])
			}
			next[key]++
			if c.Hidden != (c.Text == nil) || (c.Hidden && ((b.Phase != PhasePrivate && !c.AwaitingApproval) || viewer.Role == RoleFacilitator || c.By == viewer.ID)) {
				t.Fatalf("%s sees card %s hidden=%v text=%v in phase %s", viewer.Role, c.ID, c.Hidden, c.Text != nil, b.Phase)
			}
		}
	}
}
