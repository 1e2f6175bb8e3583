package board

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// ruleCase is one op sent to the fixture board and the code it must get.
type ruleCase struct {
	name  string
	setup func(t *testing.T, b *Board) // optional, run on the fixture first
	by    actor
	op    Op
	want  string // a contract code, or "accepted"
	check func(t *testing.T, b *Board, e Entry)
}

func inPhase(p Phase) func(t *testing.T, b *Board) {
	return func(t *testing.T, b *Board) { mustPlay(t, b, facA, phaseOp(p)) }
}

func wantCardText(id, want string) func(t *testing.T, b *Board, e Entry) {
	return func(t *testing.T, b *Board, e Entry) {
		if c := b.Cards[id]; c == nil || c.Text != want {
			t.Errorf("card text: got %+v, want %q", c, want)
		}
	}
}

// fillBoard adds tray cards until the board holds MaxCards.
func fillBoard(t *testing.T, b *Board) {
	for len(b.Cards) < MaxCards {
		mustPlay(t, b, userA, addOp(uuid.NewString(), "filler", nil, nil))
	}
}

var (
	newCard  = "d0000000-0000-4000-8000-000000000001"
	unknown  = "e0000000-0000-4000-8000-000000000001"
	emoji280 = strings.Repeat("😀", maxCardText)
)

func cardAddCases() []ruleCase {
	return []ruleCase{
		{name: "to the tray", by: userA, op: addOp(newCard, "idea", nil, nil), want: "accepted",
			check: func(t *testing.T, b *Board, e Entry) {
				if got := cellOf(b, "", ""); got[len(got)-1] != newCard {
					t.Errorf("tray: got %v, want %s last", got, newCard)
				}
			}},
		{name: "at the end of its cell", by: userA, op: addTo(newCard, "idea", "plan", "consultation"), want: "accepted",
			check: func(t *testing.T, b *Board, e Entry) {
				if got, want := cellOf(b, "plan", "consultation"), []string{cardUser, cardStaff, newCard}; !equalIDs(got, want) {
					t.Errorf("cell: got %v, want %v", got, want)
				}
				if c := b.Cards[newCard]; c.By != userA.id || c.ByRole != RoleServiceUser {
					t.Errorf("author: got %s %s, want %s %s", c.By, c.ByRole, userA.id, RoleServiceUser)
				}
			}},
		{name: "text trimmed", by: userA, op: addOp(newCard, " \t idea one\n \u00a0", nil, nil), want: "accepted",
			check: func(t *testing.T, b *Board, e Entry) {
				wantCardText(newCard, "idea one")(t, b, e)
				if e.Op.Card.Text != "idea one" {
					t.Errorf("normalised op text: got %q, want %q", e.Op.Card.Text, "idea one")
				}
			}},
		{name: "line breaks kept", by: userA, op: addOp(newCard, "one\ntwo\r\nthree", nil, nil), want: "accepted",
			check: wantCardText(newCard, "one\ntwo\r\nthree")},
		{name: "280 four-byte code points", by: userA, op: addOp(newCard, emoji280, nil, nil), want: "accepted",
			check: wantCardText(newCard, emoji280)},
		{name: "280 code points after trimming", by: userA, op: addOp(newCard, "  "+emoji280+"\n", nil, nil), want: "accepted"},
		{name: "281 code points", by: userA, op: addOp(newCard, emoji280+"é", nil, nil), want: CodeInvalid},
		{name: "empty", by: userA, op: addOp(newCard, "", nil, nil), want: CodeInvalid},
		{name: "only white space", by: userA, op: addOp(newCard, " \n\t\u3000 ", nil, nil), want: CodeInvalid},
		{name: "tab inside", by: userA, op: addOp(newCard, "a\tb", nil, nil), want: CodeInvalid},
		{name: "NUL inside", by: userA, op: addOp(newCard, "a\x00b", nil, nil), want: CodeInvalid},
		{name: "escape inside", by: userA, op: addOp(newCard, "a\x1b[31mb", nil, nil), want: CodeInvalid},
		{name: "DEL inside", by: userA, op: addOp(newCard, "a\x7fb", nil, nil), want: CodeInvalid},
		{name: "C1 control inside", by: userA, op: addOp(newCard, "a\u009bb", nil, nil), want: CodeInvalid},
		{name: "stage without level", by: userA, op: addOp(newCard, "idea", ptrTo("plan"), nil), want: CodeInvalid},
		{name: "level without stage", by: userA, op: addOp(newCard, "idea", nil, ptrTo("conversation")), want: CodeInvalid},
		{name: "unknown stage", by: userA, op: addTo(newCard, "idea", "later", "conversation"), want: CodeInvalid},
		{name: "unknown level", by: userA, op: addTo(newCard, "idea", "plan", "control"), want: CodeInvalid},
		{name: "no card", by: userA, op: Op{Kind: KindCardAdd}, want: CodeInvalid},
		{name: "id not a UUID", by: userA, op: addOp("card-1", "idea", nil, nil), want: CodeInvalid},
		{name: "id of a card on the board", by: userA, op: addOp(cardStaff, "idea", nil, nil), want: CodeInvalid},
		{name: "id of a deleted card", by: userA, op: addOp(cardUser, "idea", nil, nil), want: CodeInvalid,
			setup: func(t *testing.T, b *Board) { mustPlay(t, b, userA, Op{Kind: KindCardDelete, CardID: cardUser}) }},
		{name: "board full", setup: fillBoard, by: userA, op: addOp(newCard, "idea", nil, nil), want: CodeTooLarge},
		{name: "board full again after a delete", by: userA, op: addOp(newCard, "idea", nil, nil), want: "accepted",
			setup: func(t *testing.T, b *Board) {
				fillBoard(t, b)
				mustPlay(t, b, userA, Op{Kind: KindCardDelete, CardID: cardUser})
			}},
		{name: "in private", setup: inPhase(PhasePrivate), by: userA, op: addOp(newCard, "idea", nil, nil), want: "accepted"},
		{name: "in locked", setup: inPhase(PhaseLocked), by: userA, op: addOp(newCard, "idea", nil, nil), want: CodeLocked},
		{name: "in closed", setup: inPhase(PhaseClosed), by: userA, op: addOp(newCard, "idea", nil, nil), want: CodeLocked},
	}
}

func cardEditCases() []ruleCase {
	edit := func(id, text string) Op { return Op{Kind: KindCardEdit, CardID: id, Text: &text} }
	return []ruleCase{
		{name: "by the author, trimmed", by: userA, op: edit(cardUser, "  better\nidea "), want: "accepted",
			check: wantCardText(cardUser, "better\nidea")},
		{name: "by the facilitator", by: facA, op: edit(cardUser, "better"), want: "accepted", check: wantCardText(cardUser, "better")},
		{name: "by someone else", by: staffA, op: edit(cardUser, "better"), want: CodeForbidden},
		{name: "unknown card", by: userA, op: edit(unknown, "better"), want: CodeNotFound},
		{name: "deleted card", by: userA, op: edit(cardUser, "better"), want: CodeNotFound,
			setup: func(t *testing.T, b *Board) { mustPlay(t, b, userA, Op{Kind: KindCardDelete, CardID: cardUser}) }},
		{name: "no text", by: userA, op: Op{Kind: KindCardEdit, CardID: cardUser}, want: CodeInvalid},
		{name: "blank text", by: userA, op: edit(cardUser, " \n "), want: CodeInvalid},
		{name: "281 code points", by: userA, op: edit(cardUser, emoji280+"x"), want: CodeInvalid},
		{name: "control character", by: userA, op: edit(cardUser, "a\bb"), want: CodeInvalid},
		{name: "own card in private", setup: inPhase(PhasePrivate), by: userA, op: edit(cardUser, "better"), want: "accepted"},
		{name: "someone else's in private", setup: inPhase(PhasePrivate), by: staffA, op: edit(cardUser, "better"), want: CodeForbidden},
		{name: "in locked", setup: inPhase(PhaseLocked), by: userA, op: edit(cardUser, "better"), want: CodeLocked},
		{name: "facilitator in locked", setup: inPhase(PhaseLocked), by: facA, op: edit(cardUser, "better"), want: "accepted"},
		{name: "facilitator in closed", setup: inPhase(PhaseClosed), by: facA, op: edit(cardUser, "better"), want: CodeLocked},
	}
}

func cardMoveCases() []ruleCase {
	return []ruleCase{
		{name: "someone else's card in open", by: staffA, op: moveOp(cardOther, ptrTo("plan"), ptrTo("consultation"), ptrTo(0)), want: "accepted",
			check: func(t *testing.T, b *Board, e Entry) {
				if got, want := cellOf(b, "plan", "consultation"), []string{cardOther, cardUser, cardStaff}; !equalIDs(got, want) {
					t.Errorf("cell: got %v, want %v", got, want)
				}
			}},
		{name: "to the tray", by: userA, op: moveOp(cardUser, nil, nil, ptrTo(0)), want: "accepted"},
		{name: "unknown card", by: userA, op: moveOp(unknown, nil, nil, nil), want: CodeNotFound},
		{name: "stage without level", by: userA, op: moveOp(cardUser, ptrTo("do"), nil, nil), want: CodeInvalid},
		{name: "level without stage", by: userA, op: moveOp(cardUser, nil, ptrTo("conversation"), nil), want: CodeInvalid},
		{name: "unknown stage", by: userA, op: moveOp(cardUser, ptrTo("done"), ptrTo("conversation"), nil), want: CodeInvalid},
		{name: "unknown level", by: userA, op: moveOp(cardUser, ptrTo("do"), ptrTo("control"), nil), want: CodeInvalid},
		{name: "negative index", by: userA, op: moveOp(cardUser, ptrTo("do"), ptrTo("conversation"), ptrTo(-1)), want: CodeInvalid},
		{name: "own card in private", setup: inPhase(PhasePrivate), by: userA, op: moveOp(cardUser, nil, nil, nil), want: "accepted"},
		{name: "someone else's card in private", setup: inPhase(PhasePrivate), by: userA, op: moveOp(cardOther, nil, nil, nil), want: CodeLocked},
		// Phase comes before the op's own fields (rules.go's check order);
		// the card must be found to know whose it is.
		{name: "someone else's card in private, bad place", setup: inPhase(PhasePrivate), by: userA,
			op: moveOp(cardOther, ptrTo("do"), nil, nil), want: CodeLocked},
		{name: "facilitator, someone else's card in private", setup: inPhase(PhasePrivate), by: facA, op: moveOp(cardOther, nil, nil, nil), want: "accepted"},
		{name: "in locked", setup: inPhase(PhaseLocked), by: userA, op: moveOp(cardUser, nil, nil, nil), want: CodeLocked},
		{name: "facilitator in locked", setup: inPhase(PhaseLocked), by: facA, op: moveOp(cardUser, nil, nil, nil), want: "accepted"},
		{name: "facilitator in closed", setup: inPhase(PhaseClosed), by: facA, op: moveOp(cardUser, nil, nil, nil), want: CodeLocked},
	}
}

func cardDeleteCases() []ruleCase {
	del := func(id string) Op { return Op{Kind: KindCardDelete, CardID: id} }
	gone := func(id string) func(t *testing.T, b *Board, e Entry) {
		return func(t *testing.T, b *Board, e Entry) {
			if b.Cards[id] != nil || indexOf(cellOf(b, "plan", "consultation"), id) >= 0 {
				t.Errorf("card %s: got it on the board, want it gone", id)
			}
		}
	}
	return []ruleCase{
		{name: "by the author", by: userA, op: del(cardUser), want: "accepted", check: gone(cardUser)},
		{name: "by the facilitator", by: facA, op: del(cardUser), want: "accepted", check: gone(cardUser)},
		{name: "by someone else", by: staffA, op: del(cardUser), want: CodeForbidden},
		{name: "unknown card", by: userA, op: del(unknown), want: CodeNotFound},
		{name: "twice", by: userA, op: del(cardUser), want: CodeNotFound, setup: func(t *testing.T, b *Board) { mustPlay(t, b, userA, del(cardUser)) }},
		{name: "own card in private", setup: inPhase(PhasePrivate), by: userA, op: del(cardUser), want: "accepted"},
		{name: "someone else's in private", setup: inPhase(PhasePrivate), by: userA, op: del(cardStaff), want: CodeForbidden},
		{name: "in locked", setup: inPhase(PhaseLocked), by: userA, op: del(cardUser), want: CodeLocked},
		{name: "in closed", setup: inPhase(PhaseClosed), by: userA, op: del(cardUser), want: CodeLocked},
	}
}

func cardVoteCases() []ruleCase {
	budget := func(n int) func(t *testing.T, b *Board) {
		return func(t *testing.T, b *Board) { mustPlay(t, b, facA, Op{Kind: KindVotesSet, Budget: &n}) }
	}
	return []ruleCase{
		{name: "+1", by: userA, op: voteOp(cardOther, 1), want: "accepted",
			check: func(t *testing.T, b *Board, e Entry) {
				if got := b.Cards[cardOther].Votes[userA.id]; got != 1 {
					t.Errorf("votes: got %d, want 1", got)
				}
				if got := b.Spent(userA.id); got != 1 {
					t.Errorf("spent: got %d, want 1", got)
				}
			}},
		{name: "own card", by: userA, op: voteOp(cardUser, 1), want: "accepted"},
		{name: "-1 after +1", by: userA, op: voteOp(cardOther, -1), want: "accepted",
			setup: func(t *testing.T, b *Board) { mustPlay(t, b, userA, voteOp(cardOther, 1)) }},
		{name: "-1 with no vote", by: userA, op: voteOp(cardOther, -1), want: CodeInvalid},
		{name: "-1 with a vote on another card", by: userA, op: voteOp(cardOther, -1), want: CodeInvalid,
			setup: func(t *testing.T, b *Board) { mustPlay(t, b, userA, voteOp(cardStaff, 1)) }},
		{name: "beyond the budget", by: userA, op: voteOp(cardOther, 1), want: CodeInvalid,
			setup: func(t *testing.T, b *Board) {
				for range DefaultVoteBudget {
					mustPlay(t, b, userA, voteOp(cardStaff, 1))
				}
			}},
		{name: "budget 0", setup: budget(0), by: userA, op: voteOp(cardOther, 1), want: CodeInvalid},
		{name: "delta 0", by: userA, op: voteOp(cardOther, 0), want: CodeInvalid},
		{name: "delta 2", by: userA, op: voteOp(cardOther, 2), want: CodeInvalid},
		{name: "delta -2", by: userA, op: voteOp(cardOther, -2), want: CodeInvalid},
		{name: "no delta", by: userA, op: Op{Kind: KindCardVote, CardID: cardOther}, want: CodeInvalid},
		{name: "unknown card", by: userA, op: voteOp(unknown, 1), want: CodeNotFound},
		{name: "facilitator", by: facA, op: voteOp(cardOther, 1), want: CodeForbidden},
		{name: "in private", setup: inPhase(PhasePrivate), by: userA, op: voteOp(cardOther, 1), want: CodeLocked},
		// Phase comes before the op's own fields (rules.go's check order).
		{name: "in private, bad delta", setup: inPhase(PhasePrivate), by: userA, op: voteOp(cardOther, 5), want: CodeLocked},
		{name: "in private, unknown card", setup: inPhase(PhasePrivate), by: userA, op: voteOp(unknown, 1), want: CodeLocked},
		{name: "in locked", setup: inPhase(PhaseLocked), by: userA, op: voteOp(cardOther, 1), want: CodeLocked},
		{name: "in closed", setup: inPhase(PhaseClosed), by: userA, op: voteOp(cardOther, 1), want: CodeLocked},
	}
}

func cardAgreeCases() []ruleCase {
	agree := func(id string, v bool) Op { return Op{Kind: KindCardAgree, CardID: id, Agreed: &v} }
	agreed := func(want bool) func(t *testing.T, b *Board, e Entry) {
		return func(t *testing.T, b *Board, e Entry) {
			if got := b.Cards[cardOther].Agreed; got != want {
				t.Errorf("agreed: got %v, want %v", got, want)
			}
		}
	}
	return []ruleCase{
		{name: "true", by: facA, op: agree(cardOther, true), want: "accepted", check: agreed(true)},
		{name: "false", by: facA, op: agree(cardOther, false), want: "accepted", check: agreed(false),
			setup: func(t *testing.T, b *Board) { mustPlay(t, b, facA, agree(cardOther, true)) }},
		{name: "no value", by: facA, op: Op{Kind: KindCardAgree, CardID: cardOther}, want: CodeInvalid},
		{name: "unknown card", by: facA, op: agree(unknown, true), want: CodeNotFound},
		{name: "by a participant", by: otherA, op: agree(cardOther, true), want: CodeForbidden},
		{name: "in private", setup: inPhase(PhasePrivate), by: facA, op: agree(cardOther, true), want: "accepted"},
		{name: "in closed", setup: inPhase(PhaseClosed), by: facA, op: agree(cardOther, true), want: CodeLocked},
	}
}

func stageAgreeCases() []ruleCase {
	stageAgree := func(stage string, level *string, note *string) Op {
		return Op{Kind: KindStageAgree, Stage: &stage, Level: level, Note: note}
	}
	return []ruleCase{
		{name: "a level", by: facA, op: stageAgree("do", ptrTo("participation"), ptrTo(" we will \n co-run it ")), want: "accepted",
			check: func(t *testing.T, b *Board, e Entry) {
				if st := b.Stages["do"]; st.AgreedLevel != "participation" || st.Note != "we will \n co-run it" {
					t.Errorf("stage do: got %+v, want participation with the note trimmed", *st)
				}
			}},
		{name: "null clears", by: facA, op: stageAgree("plan", nil, nil), want: "accepted",
			check: func(t *testing.T, b *Board, e Entry) {
				if st := b.Stages["plan"]; st.AgreedLevel != "" {
					t.Errorf("stage plan: got level %q, want none", st.AgreedLevel)
				}
			}},
		{name: "no stage", by: facA, op: Op{Kind: KindStageAgree, Level: ptrTo("conversation")}, want: CodeInvalid},
		{name: "unknown stage", by: facA, op: stageAgree("later", ptrTo("conversation"), nil), want: CodeInvalid},
		{name: "unknown level", by: facA, op: stageAgree("plan", ptrTo("control"), nil), want: CodeInvalid},
		{name: "control character in note", by: facA, op: stageAgree("plan", nil, ptrTo("a\x00b")), want: CodeInvalid},
		{name: "by a participant", by: staffA, op: stageAgree("plan", nil, nil), want: CodeForbidden},
		{name: "in locked", setup: inPhase(PhaseLocked), by: facA, op: stageAgree("plan", nil, nil), want: "accepted"},
		{name: "in closed", setup: inPhase(PhaseClosed), by: facA, op: stageAgree("plan", nil, nil), want: CodeLocked},
	}
}

func consentSetCases() []ruleCase {
	consent := func(stage, answer string) Op { return Op{Kind: KindConsentSet, Stage: &stage, Answer: answer} }
	return []ruleCase{
		{name: "agree", by: userA, op: consent("plan", "agree"), want: "accepted"},
		{name: "replaced", by: userA, op: consent("plan", "disagree"), want: "accepted",
			setup: func(t *testing.T, b *Board) { mustPlay(t, b, userA, consent("plan", "agree")) },
			check: func(t *testing.T, b *Board, e Entry) {
				if got := b.ConsentCounts()["plan"]; got["agree"] != 0 || got["disagree"] != 1 {
					t.Errorf("counts: got %v, want one disagree and no agree", got)
				}
			}},
		{name: "stage with no agreed level", by: userA, op: consent("do", "agree"), want: CodeInvalid},
		{name: "unknown answer", by: userA, op: consent("plan", "maybe"), want: CodeInvalid},
		{name: "unknown stage", by: userA, op: consent("later", "agree"), want: CodeInvalid},
		{name: "no stage", by: userA, op: Op{Kind: KindConsentSet, Answer: "agree"}, want: CodeInvalid},
		{name: "facilitator", by: facA, op: consent("plan", "agree"), want: CodeForbidden},
		{name: "in locked", setup: inPhase(PhaseLocked), by: staffA, op: consent("plan", "agree"), want: CodeLocked},
		{name: "in closed", setup: inPhase(PhaseClosed), by: staffA, op: consent("plan", "agree"), want: CodeLocked},
	}
}

func facilitatorKindCases() []ruleCase {
	phaseIs := func(want Phase) func(t *testing.T, b *Board, e Entry) {
		return func(t *testing.T, b *Board, e Entry) {
			if b.Phase != want {
				t.Errorf("phase: got %s, want %s", b.Phase, want)
			}
		}
	}
	timer := func(s *int) Op { return Op{Kind: KindTimerSet, Seconds: s} }
	budget := func(n *int) Op { return Op{Kind: KindVotesSet, Budget: n} }
	remove := func(id string) Op {
		return Op{Kind: KindParticipantRemove, ParticipantID: id, RemoveCards: ptrTo(false)}
	}
	timerEnds := func(seconds int) func(t *testing.T, b *Board, e Entry) {
		return func(t *testing.T, b *Board, e Entry) {
			want := e.At.Add(time.Duration(seconds) * time.Second)
			if got := e.Op.TimerEndsAt; got == nil || !got.Equal(want) {
				t.Errorf("op timerEndsAt: got %v, want %v", got, want)
			}
			if got := b.TimerEndsAt; got == nil || !got.Equal(want) {
				t.Errorf("board timerEndsAt: got %v, want %v", got, want)
			}
		}
	}
	return []ruleCase{
		{name: "phase.set private", by: facA, op: phaseOp(PhasePrivate), want: "accepted", check: phaseIs(PhasePrivate)},
		{name: "phase.set open from closed", setup: inPhase(PhaseClosed), by: facA, op: phaseOp(PhaseOpen), want: "accepted", check: phaseIs(PhaseOpen)},
		{name: "phase.set unknown", by: facA, op: phaseOp("paused"), want: CodeInvalid},
		{name: "phase.set by a participant", by: staffA, op: phaseOp(PhaseLocked), want: CodeForbidden},
		{name: "focus.set a stage", by: facA, op: Op{Kind: KindFocusSet, Stage: ptrTo("assess")}, want: "accepted",
			check: func(t *testing.T, b *Board, e Entry) {
				if b.Focus != "assess" {
					t.Errorf("focus: got %q, want assess", b.Focus)
				}
			}},
		{name: "focus.set null", by: facA, op: Op{Kind: KindFocusSet}, want: "accepted",
			setup: func(t *testing.T, b *Board) { mustPlay(t, b, facA, Op{Kind: KindFocusSet, Stage: ptrTo("do")}) },
			check: func(t *testing.T, b *Board, e Entry) {
				if b.Focus != "" {
					t.Errorf("focus: got %q, want none", b.Focus)
				}
			}},
		{name: "focus.set unknown stage", by: facA, op: Op{Kind: KindFocusSet, Stage: ptrTo("later")}, want: CodeInvalid},
		{name: "focus.set by a participant", by: userA, op: Op{Kind: KindFocusSet}, want: CodeForbidden},
		{name: "timer.set 1", by: facA, op: timer(ptrTo(1)), want: "accepted", check: timerEnds(1)},
		{name: "timer.set 7200", by: facA, op: timer(ptrTo(7200)), want: "accepted", check: timerEnds(7200)},
		{name: "timer.set null stops", by: facA, op: Op{Kind: KindTimerSet, TimerEndsAt: ptrTo(time.Now())}, want: "accepted",
			setup: func(t *testing.T, b *Board) { mustPlay(t, b, facA, timer(ptrTo(60))) },
			check: func(t *testing.T, b *Board, e Entry) {
				if b.TimerEndsAt != nil || e.Op.TimerEndsAt != nil {
					t.Errorf("timerEndsAt: got board %v op %v, want both null", b.TimerEndsAt, e.Op.TimerEndsAt)
				}
			}},
		{name: "timer.set 0", by: facA, op: timer(ptrTo(0)), want: CodeInvalid},
		{name: "timer.set 7201", by: facA, op: timer(ptrTo(7201)), want: CodeInvalid},
		{name: "timer.set negative", by: facA, op: timer(ptrTo(-60)), want: CodeInvalid},
		{name: "timer.set by a participant", by: staffA, op: timer(ptrTo(60)), want: CodeForbidden},
		{name: "votes.set 0", by: facA, op: budget(ptrTo(0)), want: "accepted"},
		{name: "votes.set 20", by: facA, op: budget(ptrTo(20)), want: "accepted",
			check: func(t *testing.T, b *Board, e Entry) {
				if b.VoteBudget != 20 {
					t.Errorf("budget: got %d, want 20", b.VoteBudget)
				}
			}},
		{name: "votes.set 21", by: facA, op: budget(ptrTo(21)), want: CodeInvalid},
		{name: "votes.set -1", by: facA, op: budget(ptrTo(-1)), want: CodeInvalid},
		{name: "votes.set null", by: facA, op: budget(nil), want: CodeInvalid},
		{name: "votes.set by a participant", by: userA, op: budget(ptrTo(5)), want: CodeForbidden},
		{name: "participant.remove", by: facA, op: remove(otherA.id), want: "accepted"},
		{name: "participant.remove oneself", by: facA, op: remove(facA.id), want: CodeInvalid},
		{name: "participant.remove nobody", by: facA, op: remove(""), want: CodeInvalid},
		{name: "participant.remove twice", by: facA, op: remove(otherA.id), want: CodeNotFound,
			setup: func(t *testing.T, b *Board) { mustPlay(t, b, facA, remove(otherA.id)) }},
		{name: "participant.remove by a participant", by: userA, op: remove(otherA.id), want: CodeForbidden},
		{name: "participant.remove in closed", setup: inPhase(PhaseClosed), by: facA, op: remove(otherA.id), want: CodeLocked},
	}
}

func otherRuleCases() []ruleCase {
	removed := func(t *testing.T, b *Board) {
		mustPlay(t, b, facA, Op{Kind: KindParticipantRemove, ParticipantID: userA.id, RemoveCards: ptrTo(false)})
	}
	return []ruleCase{
		{name: "unknown kind", by: facA, op: Op{Kind: "card.paint"}, want: CodeInvalid},
		{name: "unknown kind in closed", setup: inPhase(PhaseClosed), by: facA, op: Op{Kind: "card.paint"}, want: CodeInvalid},
		{name: "removed person adds", setup: removed, by: userA, op: addOp(newCard, "idea", nil, nil), want: CodeRemoved},
		{name: "removed person edits own card", setup: removed, by: userA,
			op: Op{Kind: KindCardEdit, CardID: cardUser, Text: ptrTo("x")}, want: CodeRemoved},
		{name: "removed person votes", setup: removed, by: userA, op: voteOp(cardOther, 1), want: CodeRemoved},
		{name: "removed person answers", setup: removed, by: userA,
			op: Op{Kind: KindConsentSet, Stage: ptrTo("plan"), Answer: "agree"}, want: CodeRemoved},
	}
}

// TestBoardRules sends each op kind to the fixture board in its accepted
// forms and in every form the contract refuses, and checks the code, the
// effect, and that a refused op changes nothing.
func TestBoardRules(t *testing.T) {
	groups := []struct {
		kind  string
		cases []ruleCase
	}{
		{KindCardAdd, cardAddCases()},
		{KindCardEdit, cardEditCases()},
		{KindCardMove, cardMoveCases()},
		{KindCardDelete, cardDeleteCases()},
		{KindCardVote, cardVoteCases()},
		{KindCardAgree, cardAgreeCases()},
		{KindStageAgree, stageAgreeCases()},
		{KindConsentSet, consentSetCases()},
		{"facilitator kinds", facilitatorKindCases()},
		{"other", otherRuleCases()},
	}
	for _, g := range groups {
		for _, tc := range g.cases {
			t.Run(g.kind+"/"+tc.name, func(t *testing.T) {
				b := newFixture(t)
				if tc.setup != nil {
					tc.setup(t, b)
				}
				before, v := marshalBoard(t, b), b.V
				e, err := play(b, tc.by, tc.op)
				if got := codeOf(err); got != tc.want {
					t.Fatalf("got %s (%v), want %s", got, err, tc.want)
				}
				if err != nil {
					if after := marshalBoard(t, b); !bytes.Equal(after, before) {
						t.Errorf("got the board changed by a refused op, want it unchanged")
					}
					if err.Message == "" {
						t.Errorf("got an empty message, want a plain-language one")
					}
					return
				}
				if b.V != v+1 {
					t.Errorf("version: got %d, want %d", b.V, v+1)
				}
				checkCells(t, b, true)
				if tc.check != nil {
					tc.check(t, b, e)
				}
			})
		}
	}
}

func equalIDs(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}
