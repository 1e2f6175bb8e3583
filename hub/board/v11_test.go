package board

import (
	"encoding/json"
	"strings"
	"testing"
)

// Tests of the v1.1 additions: the wall, secret ballots, results hidden
// until shown, joins, approval, consent rounds and sorting a cell.

var wall = Viewer{Role: RoleWall}

// frameOf is e as viewer receives it, decoded to a map.
func frameOf(t *testing.T, b *Board, e Entry, viewer Viewer) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(OpFrame(b.Reveal(&e, viewer)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func opOf(t *testing.T, frame map[string]any) map[string]any {
	t.Helper()
	op, _ := frame["op"].(map[string]any)
	return op
}

// TestWallSeesWhatAnyParticipantSees: in private, every card reaches the
// wall hidden, in the board and in ops; the reveal shows it all of them.
func TestWallSeesWhatAnyParticipantSees(t *testing.T) {
	b := newFixture(t)
	mustPlay(t, b, facA, phaseOp(PhasePrivate))
	add := mustPlay(t, b, userA, addTo(newCard, "secret idea", "do", "consultation"))
	edit := mustPlay(t, b, userA, Op{Kind: KindCardEdit, CardID: newCard, Text: ptrTo("still secret")})
	for _, c := range b.View(wall, Workshop{}, nil).Cards {
		if !c.Hidden || c.Text != nil {
			t.Errorf("wall, private: card %s has text %v, want hidden", c.ID, c.Text)
		}
	}
	for _, e := range []Entry{add, edit} {
		if data := string(OpFrame(b.Reveal(&e, wall))); strings.Contains(data, "secret") {
			t.Errorf("wall, private: %s frame carries the text: %s", e.Op.Kind, data)
		}
	}
	end := mustPlay(t, b, facA, phaseOp(PhaseOpen))
	revealed, _ := frameOf(t, b, end, wall)["revealed"].([]any)
	if got, want := len(revealed), len(b.Cards); got != want {
		t.Errorf("wall: %d cards revealed, want all %d", got, want)
	}
	if got := b.Revealed(wall); len(got) != len(b.Cards) {
		t.Errorf("Revealed(wall) = %d cards, want %d", len(got), len(b.Cards))
	}
}

// TestSecretBallots: a vote or an answer reaches everyone but its sender
// without who sent it, and an answer without what it was; consent counts
// come with it.
func TestSecretBallots(t *testing.T) {
	b := newFixture(t)
	vote := mustPlay(t, b, userA, voteOp(cardStaff, 1))
	mustPlay(t, b, userA, Op{Kind: KindConsentSet, Stage: ptrTo("plan"), Answer: "agree"})
	answer := mustPlay(t, b, userA, Op{Kind: KindConsentSet, Stage: ptrTo("plan"), Answer: "disagree"})
	for _, viewer := range []Viewer{facA.viewer(), otherA.viewer(), wall} {
		f := frameOf(t, b, vote, viewer)
		if _, ok := f["by"]; ok {
			t.Errorf("vote to %s: carries by", viewer.Role)
		}
		if op := opOf(t, f); op["cardId"] != cardStaff || op["delta"] != 1.0 {
			t.Errorf("vote to %s: op %v, want cardId and delta", viewer.Role, op)
		}
		f = frameOf(t, b, answer, viewer)
		op := opOf(t, f)
		_, by := f["by"]
		_, ans := op["answer"]
		_, prev := op["previous"]
		if by || ans || prev || op["stage"] != "plan" {
			t.Errorf("answer to %s: frame %v, want stage alone and no by", viewer.Role, f)
		}
		counts, _ := f["counts"].(map[string]any)
		if counts["disagree"] != 1.0 || counts["agree"] != 0.0 {
			t.Errorf("answer to %s: counts %v, want disagree 1, agree 0", viewer.Role, counts)
		}
	}
	f := frameOf(t, b, answer, userA.viewer())
	if op := opOf(t, f); f["by"] != userA.id || op["answer"] != "disagree" || op["previous"] != "agree" {
		t.Errorf("answer to its sender: %v, want all of it", f)
	}
}

// TestResultsHiddenUntilShown: while hidden, only facilitators see votes
// and consent counts, and others' ballots are their kind alone; showing
// them sends everyone the counts.
func TestResultsHiddenUntilShown(t *testing.T) {
	b := newFixture(t)
	mustPlay(t, b, userA, voteOp(cardStaff, 1))
	if _, err := play(b, userA, Op{Kind: KindResultsSet, Shown: ptrTo(false)}); codeOf(err) != CodeForbidden {
		t.Errorf("results.set by a participant: got %s, want forbidden", codeOf(err))
	}
	mustPlay(t, b, facA, Op{Kind: KindResultsSet, Shown: ptrTo(false)})
	vote := mustPlay(t, b, otherA, voteOp(cardStaff, 1))
	answer := mustPlay(t, b, otherA, Op{Kind: KindConsentSet, Stage: ptrTo("plan"), Answer: "unsure"})
	for _, viewer := range []Viewer{userA.viewer(), staffA.viewer(), wall} {
		v := b.View(viewer, Workshop{}, nil)
		if v.Consent != nil || v.ResultsShown {
			t.Errorf("%s: board consent %v, resultsShown %v; want none, false", viewer.Role, v.Consent, v.ResultsShown)
		}
		for _, c := range v.Cards {
			if c.Votes != nil || c.VotesByRole != nil {
				t.Errorf("%s: card %s shows votes %v %v", viewer.Role, c.ID, c.Votes, c.VotesByRole)
			}
		}
		data, _ := json.Marshal(v)
		if strings.Contains(string(data), `"votes":`) || strings.Contains(string(data), `"consent":`) {
			t.Errorf("%s: board JSON has votes or consent: %s", viewer.Role, data)
		}
		for _, e := range []Entry{vote, answer} {
			f := frameOf(t, b, e, viewer)
			if op := opOf(t, f); len(op) != 1 || f["counts"] != nil {
				t.Errorf("%s: hidden-result %s frame %v, want the kind alone", viewer.Role, e.Op.Kind, f)
			}
		}
	}
	if c := cardViewOf(t, b.View(userA.viewer(), Workshop{}, nil), cardStaff); c.MyVotes != 1 {
		t.Errorf("participant's own votes while hidden: %d, want 1", c.MyVotes)
	}
	if c := cardViewOf(t, b.View(facA.viewer(), Workshop{}, nil), cardStaff); c.VoteCount() != 2 {
		t.Errorf("facilitator while hidden: %d votes, want 2", c.VoteCount())
	}
	if f := frameOf(t, b, answer, facA.viewer()); f["counts"] == nil {
		t.Error("facilitator while hidden: answer without counts")
	}
	if _, err := play(b, facA, Op{Kind: KindCellSort, Stage: ptrTo("plan"), Level: ptrTo("consultation")}); codeOf(err) != CodeInvalid {
		t.Errorf("cell.sort while hidden: got %s, want invalid", codeOf(err))
	}
	show := mustPlay(t, b, facA, Op{Kind: KindResultsSet, Shown: ptrTo(true)})
	f := frameOf(t, b, show, wall)
	votes, _ := f["votes"].(map[string]any)
	consent, _ := f["consent"].(map[string]any)
	if votes[cardStaff] != 2.0 || consent["plan"] == nil {
		t.Errorf("results shown to the wall: votes %v consent %v", votes, consent)
	}
	if !show.RevealsTo(userA.viewer()) || show.RevealsTo(facA.viewer()) {
		t.Error("results.set shown: reveals to participants, not to facilitators")
	}
}

// TestJoinsSet: the facilitator opens and closes joins.
func TestJoinsSet(t *testing.T) {
	b := newFixture(t)
	if !b.View(userA.viewer(), Workshop{}, nil).JoinsOpen {
		t.Fatal("a new board is closed to joins")
	}
	if _, err := play(b, staffA, Op{Kind: KindJoinsSet, Open: ptrTo(false)}); codeOf(err) != CodeForbidden {
		t.Errorf("joins.set by staff: %s, want forbidden", codeOf(err))
	}
	if _, err := play(b, facA, Op{Kind: KindJoinsSet}); codeOf(err) != CodeInvalid {
		t.Errorf("joins.set without open: %s, want invalid", codeOf(err))
	}
	mustPlay(t, b, facA, Op{Kind: KindJoinsSet, Open: ptrTo(false)})
	if !b.JoinsClosed || b.View(userA.viewer(), Workshop{}, nil).JoinsOpen {
		t.Error("joins.set false: joins still open")
	}
}

// TestApproval: while approval is on, a participant's new card reaches
// only its author and facilitators until approved, then everyone.
func TestApproval(t *testing.T) {
	b := newFixture(t)
	mustPlay(t, b, facA, Op{Kind: KindApprovalSet, Required: ptrTo(true)})
	add := mustPlay(t, b, userA, addTo(newCard, "waiting idea", "do", "consultation"))
	for _, tc := range []struct {
		viewer Viewer
		sees   bool
	}{{userA.viewer(), true}, {facA.viewer(), true}, {otherA.viewer(), false}, {wall, false}} {
		c := cardViewOf(t, b.View(tc.viewer, Workshop{}, nil), newCard)
		if (c.Text != nil) != tc.sees || !c.AwaitingApproval {
			t.Errorf("%s: pending card text %v, awaiting %v; want seen %v", tc.viewer.Role, c.Text, c.AwaitingApproval, tc.sees)
		}
		if data := string(OpFrame(add.View(tc.viewer))); strings.Contains(data, "waiting idea") != tc.sees {
			t.Errorf("%s: card.add frame %s, want text %v", tc.viewer.Role, data, tc.sees)
		}
	}
	if _, err := play(b, otherA, voteOp(newCard, 1)); codeOf(err) != CodeInvalid {
		t.Errorf("vote on a pending card: %s, want invalid", codeOf(err))
	}
	if _, err := play(b, otherA, moveOp(newCard, nil, nil, nil)); codeOf(err) != CodeForbidden {
		t.Errorf("moving someone's pending card: %s, want forbidden", codeOf(err))
	}
	edit := mustPlay(t, b, userA, Op{Kind: KindCardEdit, CardID: newCard, Text: ptrTo("waiting, edited")})
	if strings.Contains(string(OpFrame(edit.View(otherA.viewer()))), "edited") {
		t.Error("edit of a pending card reached another participant with its text")
	}
	staffCard := "c0000000-0000-4000-8000-0000000000aa"
	if _, err := play(b, facA, addOp(staffCard, "facilitator's own", nil, nil)); err != nil || b.Cards[staffCard].Pending {
		t.Errorf("facilitator's card while approval is on: %v, pending %v; want accepted, not pending", err, b.Cards[staffCard].Pending)
	}
	if _, err := play(b, userA, Op{Kind: KindCardApprove, CardID: newCard}); codeOf(err) != CodeForbidden {
		t.Errorf("card.approve by a participant: %s, want forbidden", codeOf(err))
	}
	approve := mustPlay(t, b, facA, Op{Kind: KindCardApprove, CardID: newCard})
	if _, err := play(b, facA, Op{Kind: KindCardApprove, CardID: newCard}); codeOf(err) != CodeInvalid {
		t.Errorf("approving twice: %s, want invalid", codeOf(err))
	}
	for _, viewer := range []Viewer{otherA.viewer(), wall} {
		revealed, _ := frameOf(t, b, approve, viewer)["revealed"].([]any)
		if len(revealed) != 1 || !strings.Contains(mustJSONString(t, revealed), "waiting, edited") {
			t.Errorf("%s: approval revealed %v, want the card with its text", viewer.Role, revealed)
		}
	}
	if approve.RevealsTo(userA.viewer()) {
		t.Error("approval reveals the card to its own author")
	}
}

// TestConsentRound: a round asks about one stage, focuses it, and lets
// participants answer it while the board is locked.
func TestConsentRound(t *testing.T) {
	b := newFixture(t)
	if _, err := play(b, facA, Op{Kind: KindConsentRound, Stage: ptrTo("do")}); codeOf(err) != CodeInvalid {
		t.Errorf("round on a stage with no agreed level: %s, want invalid", codeOf(err))
	}
	mustPlay(t, b, facA, phaseOp(PhaseLocked))
	plan := ptrTo("plan")
	if _, err := play(b, userA, Op{Kind: KindConsentSet, Stage: plan, Answer: "agree"}); codeOf(err) != CodeLocked {
		t.Errorf("answer while locked, no round: %s, want locked", codeOf(err))
	}
	mustPlay(t, b, facA, Op{Kind: KindConsentRound, Stage: plan})
	if b.ConsentRound != "plan" || b.Focus != "plan" {
		t.Errorf("round: consentRound %q focus %q, want plan", b.ConsentRound, b.Focus)
	}
	mustPlay(t, b, userA, Op{Kind: KindConsentSet, Stage: plan, Answer: "agree"})
	if _, err := play(b, userA, voteOp(cardStaff, 1)); codeOf(err) != CodeLocked {
		t.Errorf("a vote while locked during a round: %s, want locked", codeOf(err))
	}
	mustPlay(t, b, facA, Op{Kind: KindStageAgree, Stage: plan, Level: nil})
	if b.ConsentRound != "" {
		t.Errorf("clearing the agreed level left the round on %q", b.ConsentRound)
	}
	if _, err := play(b, userA, Op{Kind: KindConsentSet, Stage: plan, Answer: "agree"}); codeOf(err) != CodeLocked {
		t.Errorf("answer after the round ended: %s, want locked", codeOf(err))
	}
}

// TestCellSort orders a cell by votes, most first, ties kept in order.
func TestCellSort(t *testing.T) {
	b := newFixture(t)
	mustPlay(t, b, otherA, voteOp(cardStaff, 1))
	before := b.Cells["plan/consultation"]
	if before[0] != cardUser || before[1] != cardStaff {
		t.Fatalf("fixture cell: %v", before)
	}
	if _, err := play(b, userA, Op{Kind: KindCellSort, Stage: ptrTo("plan"), Level: ptrTo("consultation")}); codeOf(err) != CodeForbidden {
		t.Errorf("cell.sort by a participant: %s, want forbidden", codeOf(err))
	}
	mustPlay(t, b, facA, Op{Kind: KindCellSort, Stage: ptrTo("plan"), Level: ptrTo("consultation")})
	if got := b.Cells["plan/consultation"]; got[0] != cardStaff || got[1] != cardUser {
		t.Errorf("sorted cell: %v, want the voted card first", got)
	}
	checkCells(t, b, true)
}

func mustJSONString(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
