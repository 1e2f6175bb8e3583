package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

func cardViewOf(t *testing.T, v BoardView, id string) CardView {
	t.Helper()
	for _, c := range v.Cards {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("card %s: got it missing from the view, want it there", id)
	return CardView{}
}

// TestBoardViewPrivate checks who reads which card's text in each phase.
func TestBoardViewPrivate(t *testing.T) {
	texts := map[string]string{cardUser: "user card", cardStaff: "staff card", cardOther: "other card", cardFac: "facilitator card"}
	tests := []struct {
		phase  Phase
		viewer actor
		hidden map[string]bool
	}{
		{PhaseOpen, userA, nil},
		{PhasePrivate, userA, map[string]bool{cardStaff: true, cardOther: true, cardFac: true}},
		{PhasePrivate, staffA, map[string]bool{cardUser: true, cardOther: true, cardFac: true}},
		{PhasePrivate, facA, nil},
		{PhaseLocked, userA, nil},
		{PhaseClosed, staffA, nil},
	}
	for _, tc := range tests {
		t.Run(string(tc.phase)+"/"+string(tc.viewer.role), func(t *testing.T) {
			b := newFixture(t)
			mustPlay(t, b, facA, phaseOp(tc.phase))
			v := b.View(tc.viewer.viewer(), Workshop{}, nil)
			if len(v.Cards) != len(texts) {
				t.Fatalf("cards: got %d, want %d", len(v.Cards), len(texts))
			}
			for _, c := range v.Cards {
				raw, _ := json.Marshal(c)
				var fields map[string]any
				if err := json.Unmarshal(raw, &fields); err != nil {
					t.Fatal(err)
				}
				_, hasText := fields["text"]
				if tc.hidden[c.ID] {
					if c.Text != nil || !c.Hidden || hasText || bytes.Contains(raw, []byte(texts[c.ID])) {
						t.Errorf("card %s: got %s, want hidden with no text field", c.ID, raw)
					}
					continue
				}
				if c.Text == nil || *c.Text != texts[c.ID] || c.Hidden {
					t.Errorf("card %s: got %s, want text %q and not hidden", c.ID, raw, texts[c.ID])
				}
			}
		})
	}
}

// TestBoardEntryView checks that a card's text in an op accepted during
// private reaches only its author and the facilitator, in any encoding.
func TestBoardEntryView(t *testing.T) {
	const secret = "secret-idea-7f3a"
	tests := []struct {
		name  string
		phase Phase
		by    actor
		op    Op
		sees  []actor
		blind []actor
	}{
		{"card.add in private", PhasePrivate, userA, addOp(newCard, secret, ptrTo("do"), ptrTo("conversation")),
			[]actor{userA, facA}, []actor{staffA, otherA}},
		{"card.edit by the author in private", PhasePrivate, userA, Op{Kind: KindCardEdit, CardID: cardUser, Text: ptrTo(secret)},
			[]actor{userA, facA}, []actor{staffA, otherA}},
		{"card.edit by the facilitator in private", PhasePrivate, facA, Op{Kind: KindCardEdit, CardID: cardUser, Text: ptrTo(secret)},
			[]actor{userA, facA}, []actor{staffA, otherA}},
		{"card.add in open", PhaseOpen, userA, addOp(newCard, secret, nil, nil),
			[]actor{userA, facA, staffA, otherA}, nil},
		{"card.edit in open", PhaseOpen, userA, Op{Kind: KindCardEdit, CardID: cardUser, Text: ptrTo(secret)},
			[]actor{userA, facA, staffA, otherA}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newFixture(t)
			mustPlay(t, b, facA, phaseOp(tc.phase))
			e := mustPlay(t, b, tc.by, tc.op)
			if got, want := e.Private, tc.phase == PhasePrivate; got != want {
				t.Errorf("entry private: got %v, want %v", got, want)
			}
			if e.Owner != userA.id {
				t.Errorf("entry owner: got %q, want %q", e.Owner, userA.id)
			}
			// A replayed entry went through the store as JSON.
			raw, _ := json.Marshal(e)
			var stored Entry
			if err := json.Unmarshal(raw, &stored); err != nil {
				t.Fatalf("decode entry: %v", err)
			}
			for _, entry := range []Entry{e, stored} {
				for _, a := range tc.sees {
					if got, _ := json.Marshal(entry.View(a.viewer())); !bytes.Contains(got, []byte(secret)) {
						t.Errorf("view for %s: got %s, want the text in it", a.role, got)
					}
				}
				for _, a := range tc.blind {
					got, _ := json.Marshal(entry.View(a.viewer()))
					if bytes.Contains(got, []byte(secret)) || !bytes.Contains(got, []byte(`"hidden":true`)) {
						t.Errorf("view for %s: got %s, want it hidden without the text", a.role, got)
					}
					if !bytes.Contains(got, []byte(e.ID)) || !bytes.Contains(got, []byte(tc.op.Kind)) {
						t.Errorf("view for %s: got %s, want the op's id and kind still there", a.role, got)
					}
				}
			}
		})
	}
}

// TestBoardRevealed checks the cards each recipient gets with the phase.set
// that ends private: everyone else's, now with text.
func TestBoardRevealed(t *testing.T) {
	for _, next := range []Phase{PhaseOpen, PhaseLocked} {
		t.Run(string(next), func(t *testing.T) {
			b := newFixture(t)
			mustPlay(t, b, facA, phaseOp(PhasePrivate))
			mustPlay(t, b, staffA, addOp(newCard, "private staff idea", nil, nil))
			mustPlay(t, b, facA, phaseOp(next))
			for _, w := range []struct {
				viewer actor
				want   []string
			}{
				{userA, []string{cardStaff, cardOther, cardFac, newCard}},
				{staffA, []string{cardUser, cardOther, cardFac}},
				{facA, nil},
			} {
				got := b.Revealed(w.viewer.viewer())
				ids := []string{}
				for _, c := range got {
					ids = append(ids, c.ID)
					if c.Text == nil || c.Hidden || *c.Text != b.Cards[c.ID].Text {
						t.Errorf("revealed to %s, card %s: got text %v hidden %v, want its text", w.viewer.role, c.ID, c.Text, c.Hidden)
					}
				}
				if !equalIDs(ids, w.want) {
					t.Errorf("revealed to %s: got %v, want %v", w.viewer.role, ids, w.want)
				}
			}
		})
	}
}

// TestBoardViewVotes checks votes and each recipient's own myVotes.
func TestBoardViewVotes(t *testing.T) {
	b := newFixture(t)
	mustPlay(t, b, userA, voteOp(cardStaff, 1))
	mustPlay(t, b, userA, voteOp(cardStaff, 1))
	mustPlay(t, b, staffA, voteOp(cardStaff, 1))
	mustPlay(t, b, otherA, voteOp(cardUser, 1))
	tests := []struct {
		viewer actor
		card   string
		votes  int
		my     int
	}{
		{userA, cardStaff, 3, 2},
		{staffA, cardStaff, 3, 1},
		{otherA, cardStaff, 3, 0},
		{facA, cardStaff, 3, 0},
		{otherA, cardUser, 1, 1},
		{userA, cardUser, 1, 0},
		{userA, cardFac, 0, 0},
	}
	for _, tc := range tests {
		c := cardViewOf(t, b.View(tc.viewer.viewer(), Workshop{}, nil), tc.card)
		if c.Votes == nil || *c.Votes != tc.votes || c.MyVotes != tc.my {
			t.Errorf("card %s for %s: got votes %d myVotes %d, want %d and %d", tc.card, tc.viewer.role, c.VoteCount(), c.MyVotes, tc.votes, tc.my)
		}
	}
}

// TestBoardViewOrder checks that cards come by stage, level and index,
// tray last, whatever order they were added in.
func TestBoardViewOrder(t *testing.T) {
	b := NewBoard()
	ids, byName := map[string]string{}, map[string]string{}
	add := func(name string, stage, level *string) {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", len(ids))
		ids[id], byName[name] = name, id
		mustPlay(t, b, userA, addOp(id, "idea "+name, stage, level))
	}
	add("t1", nil, nil)
	add("r3", ptrTo("review"), ptrTo("participation"))
	add("p2", ptrTo("plan"), ptrTo("conversation"))
	add("a1", ptrTo("assess"), ptrTo("consultation"))
	add("p1", ptrTo("plan"), ptrTo("consultation"))
	add("d3", ptrTo("do"), ptrTo("participation"))
	add("p3", ptrTo("plan"), ptrTo("participation"))
	add("d1", ptrTo("do"), ptrTo("consultation"))
	add("t2", nil, nil)
	add("p4", ptrTo("plan"), ptrTo("participation"))
	mustPlay(t, b, userA, moveOp(byName["p4"], ptrTo("plan"), ptrTo("participation"), ptrTo(0)))

	v := b.View(userA.viewer(), Workshop{ID: "w", Code: "ABCDEF", Title: "Order"}, nil)
	got := []string{}
	for _, c := range v.Cards {
		got = append(got, ids[c.ID])
	}
	want := []string{"p1", "p2", "p4", "p3", "d1", "d3", "a1", "r3", "t1", "t2"}
	if !equalIDs(got, want) {
		t.Errorf("order: got %v, want %v", got, want)
	}
	tray := v.Cards[len(v.Cards)-1]
	if tray.Stage != nil || tray.Level != nil || tray.Index != 1 {
		t.Errorf("last tray card: got stage %v level %v index %d, want null, null, 1", tray.Stage, tray.Level, tray.Index)
	}
	if len(v.Stages) != len(Stages) || v.Stages[0].ID != "plan" || v.Stages[0].AgreedLevel != nil {
		t.Errorf("stages: got %+v, want the four stages with no agreed level", v.Stages)
	}
	if v.Participants == nil {
		t.Errorf("participants: got null, want an empty list")
	}
}

// TestBoardConsentCounts checks the tally of consent answers per stage.
func TestBoardConsentCounts(t *testing.T) {
	b := newFixture(t)
	mustPlay(t, b, facA, Op{Kind: KindStageAgree, Stage: ptrTo("review"), Level: ptrTo("participation")})
	answers := []struct {
		by     actor
		stage  string
		answer string
	}{
		{userA, "plan", "agree"},
		{staffA, "plan", "agree"},
		{otherA, "plan", "unsure"},
		{userA, "review", "disagree"},
		{staffA, "review", "agree"},
		{staffA, "review", "disagree"}, // replaces staff's agree
	}
	for _, a := range answers {
		mustPlay(t, b, a.by, Op{Kind: KindConsentSet, Stage: ptrTo(a.stage), Answer: a.answer})
	}
	want := map[string]map[string]int{
		"plan":   {"agree": 2, "unsure": 1, "disagree": 0},
		"do":     {"agree": 0, "unsure": 0, "disagree": 0},
		"assess": {"agree": 0, "unsure": 0, "disagree": 0},
		"review": {"agree": 0, "unsure": 0, "disagree": 2},
	}
	got := b.View(facA.viewer(), Workshop{}, nil).Consent
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("consent: got %s, want %s", gotJSON, wantJSON)
	}
}

// TestBoardVotesByRole: a card's view says whose votes it has, by role.
func TestBoardVotesByRole(t *testing.T) {
	b := newFixture(t)
	mustPlay(t, b, userA, voteOp(cardStaff, 1))
	mustPlay(t, b, otherA, voteOp(cardStaff, 1))
	mustPlay(t, b, staffA, voteOp(cardStaff, 1))
	mustPlay(t, b, otherA, voteOp(cardStaff, -1))
	got := b.CardView(facA.viewer(), b.Cards[cardStaff]).VotesByRole
	if got[RoleServiceUser] != 1 || got[RoleStaff] != 1 || len(got) != 2 {
		t.Fatalf("votes by role: got %v, want 1 from service users and 1 from staff", got)
	}
	again, err := UnmarshalBoard(marshalBoard(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again.CardView(facA.viewer(), again.Cards[cardStaff]).VotesByRole) != fmt.Sprint(got) {
		t.Fatal("votes by role lost in a snapshot")
	}
}
