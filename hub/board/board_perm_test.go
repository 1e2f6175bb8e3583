package board

import "testing"

// permOp is one kind of change, made valid for the fixture board so that
// only the phase and the sender's role decide its fate.
type permOp struct {
	name       string
	op         func(by actor) Op
	facOnly    bool // a facilitator-only kind
	noFac      bool // facilitators neither vote nor answer consent
	othersCard bool // about a card someone else wrote
	author     bool // "author, facilitator" in the contract
	privLocked bool // refused with locked in private (moving others' cards, voting)
}

var permOps = []permOp{
	{name: "card.add", op: func(actor) Op { return addOp(newCard, "idea", nil, nil) }},
	{name: "card.edit own", author: true, op: func(by actor) Op {
		return Op{Kind: KindCardEdit, CardID: ownCardOf[by], Text: ptrTo("better")}
	}},
	{name: "card.edit other's", author: true, othersCard: true, op: func(actor) Op {
		return Op{Kind: KindCardEdit, CardID: cardOther, Text: ptrTo("better")}
	}},
	{name: "card.move own", op: func(by actor) Op { return moveOp(ownCardOf[by], ptrTo("review"), ptrTo("participation"), ptrTo(0)) }},
	{name: "card.move other's", othersCard: true, privLocked: true, op: func(actor) Op {
		return moveOp(cardOther, ptrTo("review"), ptrTo("participation"), ptrTo(0))
	}},
	{name: "card.delete own", author: true, op: func(by actor) Op { return Op{Kind: KindCardDelete, CardID: ownCardOf[by]} }},
	{name: "card.delete other's", author: true, othersCard: true, op: func(actor) Op { return Op{Kind: KindCardDelete, CardID: cardOther} }},
	{name: "card.vote", noFac: true, privLocked: true, op: func(actor) Op { return voteOp(cardOther, 1) }},
	{name: "card.agree", facOnly: true, op: func(actor) Op { return Op{Kind: KindCardAgree, CardID: cardOther, Agreed: ptrTo(true)} }},
	{name: "stage.agree", facOnly: true, op: func(actor) Op {
		return Op{Kind: KindStageAgree, Stage: ptrTo("plan"), Level: ptrTo("participation")}
	}},
	{name: "consent.set", noFac: true, op: func(actor) Op { return Op{Kind: KindConsentSet, Stage: ptrTo("plan"), Answer: "unsure"} }},
	{name: "phase.set", facOnly: true, op: func(actor) Op { return phaseOp(PhaseOpen) }},
	{name: "focus.set", facOnly: true, op: func(actor) Op { return Op{Kind: KindFocusSet, Stage: ptrTo("do")} }},
	{name: "timer.set", facOnly: true, op: func(actor) Op { return Op{Kind: KindTimerSet, Seconds: ptrTo(300)} }},
	{name: "votes.set", facOnly: true, op: func(actor) Op { return Op{Kind: KindVotesSet, Budget: ptrTo(5)} }},
	{name: "participant.remove", facOnly: true, op: func(actor) Op {
		return Op{Kind: KindParticipantRemove, ParticipantID: otherA.id, RemoveCards: ptrTo(true)}
	}},
}

// wantPerm is the contract's answer to p sent by role in phase, in the
// order rules.go documents: phase, then role, then the op itself.
func wantPerm(p permOp, role Role, phase Phase) string {
	fac := role == RoleFacilitator
	switch {
	case phase == PhaseClosed && !(fac && p.name == "phase.set"):
		return CodeLocked // read only; a facilitator may still change the phase
	case phase == PhaseLocked && !fac:
		return CodeLocked // read only for everyone but facilitators
	case p.facOnly && !fac, p.noFac && fac:
		return CodeForbidden
	case p.author && p.othersCard && !fac:
		return CodeForbidden // only the author or the facilitator
	case phase == PhasePrivate && p.privLocked && !fac:
		return CodeLocked // in private: others' cards stay put, no voting
	}
	return "accepted"
}

// TestBoardPermissions sends every op kind by every role in every phase and
// checks the contract's answer: accepted, forbidden or locked.
func TestBoardPermissions(t *testing.T) {
	for _, phase := range []Phase{PhaseOpen, PhasePrivate, PhaseLocked, PhaseClosed} {
		for _, by := range []actor{facA, staffA, userA} {
			for _, p := range permOps {
				t.Run(string(phase)+"/"+string(by.role)+"/"+p.name, func(t *testing.T) {
					b := newFixture(t)
					mustPlay(t, b, facA, phaseOp(phase))
					_, err := play(b, by, p.op(by))
					if got, want := codeOf(err), wantPerm(p, by.role, phase); got != want {
						t.Errorf("got %s (%v), want %s", got, err, want)
					}
				})
			}
		}
	}
}
