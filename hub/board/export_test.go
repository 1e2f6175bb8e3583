package board

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

// exportScript is a small workshop: a facilitator, a staff member and two
// service users (the second removed at the end, keeping her card), cards
// in cells and the tray, votes, a stage agreement and consent.
type exportScript struct {
	w                 Workshop
	people            []Participant
	fac, staff, su, x Participant
	entries           []Entry
	cards             map[string]string // name -> card id
}

func newExportScript() *exportScript {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	person := func(name string, role Role, n int) Participant {
		return Participant{ID: uuid.NewString(), Name: name, Role: role, JoinedAt: t0.Add(time.Duration(n) * time.Minute)}
	}
	s := &exportScript{
		w:     Workshop{ID: uuid.NewString(), Code: "K7P3QX", Title: "Youth panel", CreatedAt: t0},
		fac:   person("Ada", RoleFacilitator, 0),
		staff: person("", RoleStaff, 1),
		su:    person("Sam", RoleServiceUser, 2),
		x:     person("Xena", RoleServiceUser, 3),
		cards: map[string]string{},
	}
	s.people = []Participant{s.x, s.su, s.staff, s.fac} // not in join order
	add := func(p Participant, name, stage, level string) {
		id := uuid.NewString()
		s.cards[name] = id
		in := &CardInput{ID: id, Text: name}
		if stage != "" {
			in.Stage, in.Level = &stage, &level
		}
		s.op(p, Op{Kind: KindCardAdd, Card: in})
	}
	vote := func(p Participant, name string) {
		one := 1
		s.op(p, Op{Kind: KindCardVote, CardID: s.cards[name], Delta: &one})
	}
	add(s.staff, "A", "plan", "consultation")
	add(s.su, "B", "plan", "consultation")
	add(s.fac, "C", "plan", "conversation")
	add(s.su, "D", "", "")
	add(s.staff, "E", "do", "participation")
	add(s.x, "F", "review", "participation")
	vote(s.staff, "B")
	vote(s.su, "B")
	vote(s.su, "A")
	vote(s.x, "A")
	vote(s.staff, "D")
	plan, conv, note, yes := "plan", "conversation", "Start small", true
	s.op(s.fac, Op{Kind: KindStageAgree, Stage: &plan, Level: &conv, Note: &note})
	s.op(s.fac, Op{Kind: KindCardAgree, CardID: s.cards["B"], Agreed: &yes})
	s.op(s.fac, Op{Kind: KindCardAgree, CardID: s.cards["D"], Agreed: &yes})
	s.op(s.staff, Op{Kind: KindConsentSet, Stage: &plan, Answer: "agree"})
	s.op(s.su, Op{Kind: KindConsentSet, Stage: &plan, Answer: "unsure"})
	s.op(s.x, Op{Kind: KindConsentSet, Stage: &plan, Answer: "disagree"})
	no := false
	s.op(s.fac, Op{Kind: KindParticipantRemove, ParticipantID: s.x.ID, RemoveCards: &no})
	s.op(s.fac, Op{Kind: KindPhaseSet, Phase: string(PhaseClosed)})
	return s
}

func (s *exportScript) op(p Participant, op Op) {
	s.entries = append(s.entries, Entry{ID: uuid.NewString(), By: p.ID, ByRole: p.Role, At: s.w.CreatedAt, Op: op})
}

// board plays the script on a new board, failing on any refusal.
func (s *exportScript) board(t *testing.T) *Board {
	t.Helper()
	b := NewBoard()
	for i, e := range s.entries {
		e.V = int64(i + 1)
		if err := b.Prepare(&e); err != nil {
			t.Fatalf("entry %d (%s): %v", i, e.Op.Kind, err)
		}
		b.Apply(e)
	}
	return b
}

func TestExportBuild(t *testing.T) {
	s := newExportScript()
	at := time.Date(2026, 3, 2, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	x := BuildExport(s.w, s.board(t), s.people, at)

	if want := (ExportWorkshop{ID: s.w.ID, Code: "K7P3QX", Title: "Youth panel", Phase: PhaseClosed, CreatedAt: s.w.CreatedAt}); x.Workshop != want {
		t.Errorf("workshop: got %+v, want %+v", x.Workshop, want)
	}
	if !x.ExportedAt.Equal(at) || x.ExportedAt.Location() != time.UTC {
		t.Errorf("exportedAt: got %v, want %v in UTC", x.ExportedAt, at)
	}
	var names []string
	for _, p := range x.Participants {
		names = append(names, p.Name+"/"+string(p.Role))
	}
	if want := []string{"Ada/facilitator", "/staff", "Sam/serviceUser"}; !reflect.DeepEqual(names, want) {
		t.Errorf("participants: got %v, want %v (join order, removed left out)", names, want)
	}
	if want := map[Role]int{RoleFacilitator: 1, RoleStaff: 1, RoleServiceUser: 1}; !reflect.DeepEqual(x.Turnout, want) {
		t.Errorf("turnout: got %v, want %v", x.Turnout, want)
	}
	if len(x.Board.Participants) != 3 || len(x.Board.Cards) != 6 || x.Board.Phase != PhaseClosed {
		t.Errorf("board: got %d people, %d cards, phase %s; want 3, 6, closed", len(x.Board.Participants), len(x.Board.Cards), x.Board.Phase)
	}
	for _, c := range x.Board.Cards {
		if c.Hidden || c.Text == nil || c.MyVotes != 0 {
			t.Errorf("card %s: hidden %v, text %v, myVotes %d; want every text, no own votes", c.ID, c.Hidden, c.Text, c.MyVotes)
		}
	}

	// Votes count under the voter's role; the removed person's vote on A
	// went with her, her card F stays under service users.
	wantBalance := map[string]Balance{
		"plan":   {Staff: Voice{1, 1}, ServiceUser: Voice{1, 2}, Facilitator: Voice{1, 0}},
		"do":     {Staff: Voice{1, 0}},
		"assess": {},
		"review": {ServiceUser: Voice{1, 0}},
	}
	if !reflect.DeepEqual(x.Balance, wantBalance) {
		t.Errorf("balance: got %+v, want %+v", x.Balance, wantBalance)
	}
	// The tray adds D (by Sam, with a staff vote).
	if want := (Balance{Staff: Voice{2, 2}, ServiceUser: Voice{3, 2}, Facilitator: Voice{1, 0}}); x.BalanceTotal != want {
		t.Errorf("balance total: got %+v, want %+v", x.BalanceTotal, want)
	}

	text := func(cs []CardView) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, *c.Text)
		}
		return out
	}
	if got := text(x.Agreed); !reflect.DeepEqual(got, []string{"B", "D"}) {
		t.Errorf("agreed: got %v, want [B D] in board order", got)
	}
	if got := text(x.Tray); !reflect.DeepEqual(got, []string{"D"}) {
		t.Errorf("tray: got %v, want [D]", got)
	}
	if len(x.Stages) != 4 {
		t.Fatalf("stages: got %d, want 4", len(x.Stages))
	}
	plan := x.Stages[0]
	if plan.ID != "plan" || plan.AgreedLevel == nil || *plan.AgreedLevel != "conversation" || plan.Note != "Start small" {
		t.Errorf("plan: got %s at %v, note %q; want plan at conversation, note %q", plan.ID, plan.AgreedLevel, plan.Note, "Start small")
	}
	if want := map[string]int{"agree": 1, "unsure": 1, "disagree": 0}; !reflect.DeepEqual(plan.Consent, want) {
		t.Errorf("plan consent: got %v, want %v", plan.Consent, want)
	}
	if got := text(plan.Agreed); !reflect.DeepEqual(got, []string{"B"}) {
		t.Errorf("plan agreed: got %v, want [B]", got)
	}
	var levels [][]string
	for _, l := range plan.Levels {
		levels = append(levels, append([]string{l.Level}, text(l.Cards)...))
	}
	if want := [][]string{{"consultation", "A"}, {"conversation", "C"}, {"participation"}}; !reflect.DeepEqual(levels, want) {
		t.Errorf("plan levels: got %v, want %v (agreed cards not repeated)", levels, want)
	}
	if s := x.Stages[1]; s.AgreedLevel != nil || len(s.Agreed) != 0 || s.Consent["agree"] != 0 {
		t.Errorf("do: got level %v, agreed %d, consent %v; want nothing agreed", s.AgreedLevel, len(s.Agreed), s.Consent)
	}
	if x.Credit != Credit {
		t.Errorf("credit: got %q, want %q", x.Credit, Credit)
	}
}

// TestExportJSONShape checks the contract's fields of the JSON document.
func TestExportJSONShape(t *testing.T) {
	s := newExportScript()
	data, err := json.Marshal(BuildExport(s.w, s.board(t), s.people, s.w.CreatedAt))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Workshop     map[string]any
		ExportedAt   string
		Board        map[string]json.RawMessage
		Participants []map[string]any
		Balance      map[string]map[string]map[string]int
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "code", "title", "phase"} {
		if _, ok := doc.Workshop[k]; !ok {
			t.Errorf("workshop lacks %q", k)
		}
	}
	if doc.ExportedAt != "2026-03-02T10:00:00Z" {
		t.Errorf("exportedAt: got %q, want RFC 3339 UTC", doc.ExportedAt)
	}
	for _, k := range []string{"id", "code", "title", "phase", "focus", "timerEndsAt", "voteBudget", "stages", "cards", "participants", "consent"} {
		if _, ok := doc.Board[k]; !ok {
			t.Errorf("board lacks %q", k)
		}
	}
	if doc.Participants[1]["name"] != "" {
		t.Errorf("anonymous participant's name: got %v, want empty", doc.Participants[1]["name"])
	}
	for _, st := range Stages {
		for _, role := range []string{"staff", "serviceUser"} {
			for _, k := range []string{"cards", "votes"} {
				if _, ok := doc.Balance[st][role][k]; !ok {
					t.Errorf("balance.%s.%s lacks %q", st, role, k)
				}
			}
		}
	}
}
