package board

import "time"

// Op kinds about the workshop: agreement, consent and the facilitator's
// controls.
const (
	KindStageAgree        = "stage.agree"
	KindConsentSet        = "consent.set"
	KindPhaseSet          = "phase.set"
	KindFocusSet          = "focus.set"
	KindTimerSet          = "timer.set"
	KindVotesSet          = "votes.set"
	KindParticipantRemove = "participant.remove"
	KindResultsSet        = "results.set"
	KindJoinsSet          = "joins.set"
	// KindApprovalSet turns on or off approval of participants' new cards.
	KindApprovalSet = "approval.set"
	// KindConsentRound asks everyone for consent on one stage, or ends it.
	KindConsentRound = "consent.round"
)

var facilitationKinds = []*kind{
	{
		name:    KindStageAgree,
		who:     facilitatorOnly,
		fields:  []field{fLevel, fNote, fStage},
		prepare: (*Board).prepareStageAgree,
		apply: func(b *Board, e Entry) {
			op := &e.Op
			st := b.Stages[*op.Stage]
			level := ""
			if op.Level != nil {
				level = *op.Level
			}
			if level != st.AgreedLevel {
				delete(b.Consent, *op.Stage)
			}
			if level == "" && b.ConsentRound == *op.Stage {
				b.ConsentRound = ""
			}
			st.AgreedLevel = level
			if op.Note != nil {
				st.Note = *op.Note
			}
		},
	},
	{
		name:   KindConsentSet,
		who:    participantOnly,
		fields: []field{fAnswer, fPrevious, fStage},
		ballot: []field{fStage},
		whileLocked: func(b *Board, e *Entry) bool {
			return e.Op.Stage != nil && b.ConsentRound != "" && *e.Op.Stage == b.ConsentRound
		},
		prepare: func(b *Board, e *Entry) *Error {
			op := &e.Op
			if op.Stage == nil || !knownStage(*op.Stage) {
				return Refuse(CodeInvalid, "Choose a stage.")
			}
			if op.Answer != "agree" && op.Answer != "unsure" && op.Answer != "disagree" {
				return Refuse(CodeInvalid, "The answer must be agree, unsure or disagree.")
			}
			if b.Stages[*op.Stage].AgreedLevel == "" {
				return Refuse(CodeInvalid, "Nothing has been agreed for this stage yet.")
			}
			op.Previous = b.Consent[*op.Stage][e.By]
			e.Hushed = b.ResultsHidden
			e.Counts = b.ConsentCounts()[*op.Stage]
			e.Counts[op.Answer]++
			if op.Previous != "" {
				e.Counts[op.Previous]--
			}
			return nil
		},
		apply: func(b *Board, e Entry) {
			stage := *e.Op.Stage
			if b.Consent[stage] == nil {
				b.Consent[stage] = map[string]string{}
			}
			b.Consent[stage][e.By] = e.Op.Answer
		},
	},
	{
		name:    KindPhaseSet,
		who:     facilitatorOnly,
		fields:  []field{fPhase},
		barrier: true,
		// Ending private shows everyone the others' cards.
		revealsTo: func(e Entry) (bool, string) { return e.Private && e.Op.Phase != string(PhasePrivate), "" },
		reveal: func(b *Board, _ Entry, viewer Viewer, v *OpView) {
			v.Revealed = b.Revealed(viewer)
		},
		prepare: func(_ *Board, e *Entry) *Error {
			switch Phase(e.Op.Phase) {
			case PhaseOpen, PhasePrivate, PhaseLocked, PhaseClosed:
				return nil
			}
			return Refuse(CodeInvalid, "Unknown phase %q.", e.Op.Phase)
		},
		apply: func(b *Board, e Entry) { b.Phase = Phase(e.Op.Phase) },
	},
	{
		name:   KindFocusSet,
		who:    facilitatorOnly,
		fields: []field{fStage},
		prepare: func(_ *Board, e *Entry) *Error {
			if s := e.Op.Stage; s != nil && !knownStage(*s) {
				return Refuse(CodeInvalid, "Unknown stage.")
			}
			return nil
		},
		apply: func(b *Board, e Entry) {
			b.Focus = ""
			if e.Op.Stage != nil {
				b.Focus = *e.Op.Stage
			}
		},
	},
	{
		name:   KindTimerSet,
		who:    facilitatorOnly,
		fields: []field{fSeconds, fTimerEndsAt},
		prepare: func(_ *Board, e *Entry) *Error {
			op := &e.Op
			if op.Seconds == nil {
				op.TimerEndsAt = nil
				return nil
			}
			if *op.Seconds < 1 || *op.Seconds > maxTimerSeconds {
				return Refuse(CodeInvalid, "A timer runs from 1 second to 2 hours.")
			}
			end := e.At.Add(time.Duration(*op.Seconds) * time.Second).UTC()
			op.TimerEndsAt = &end
			return nil
		},
		apply: func(b *Board, e Entry) { b.TimerEndsAt = e.Op.TimerEndsAt },
	},
	{
		name:   KindVotesSet,
		who:    facilitatorOnly,
		fields: []field{fBudget},
		prepare: func(_ *Board, e *Entry) *Error {
			if n := e.Op.Budget; n == nil || *n < 0 || *n > maxVoteBudget {
				return Refuse(CodeInvalid, "The vote budget must be from 0 to %d.", maxVoteBudget)
			}
			return nil
		},
		apply: func(b *Board, e Entry) { b.VoteBudget = *e.Op.Budget },
	},
	{
		name:    KindParticipantRemove,
		who:     facilitatorOnly,
		fields:  []field{fParticipantID, fRemoveCards},
		barrier: true, // the room closes the person's connections
		prepare: func(b *Board, e *Entry) *Error {
			id := e.Op.ParticipantID
			if id == "" || id == e.By {
				return Refuse(CodeInvalid, "Choose someone other than yourself to remove.")
			}
			if b.Removed[id] {
				return Refuse(CodeNotFound, "That person is no longer in the workshop.")
			}
			return nil
		},
		apply: func(b *Board, e Entry) {
			b.removeParticipant(e.Op.ParticipantID, e.Op.RemoveCards != nil && *e.Op.RemoveCards)
		},
	},
	{
		name:   KindResultsSet,
		who:    facilitatorOnly,
		fields: []field{fShown},
		prepare: func(b *Board, e *Entry) *Error {
			if e.Op.Shown == nil {
				return Refuse(CodeInvalid, "Say whether to show the results.")
			}
			e.Hushed = b.ResultsHidden // until now
			return nil
		},
		apply:   func(b *Board, e Entry) { b.ResultsHidden = !*e.Op.Shown },
		barrier: true,
		// Showing hidden results gives everyone the counts.
		revealsTo: func(e Entry) (bool, string) { return e.Hushed && *e.Op.Shown, "" },
		reveal: func(b *Board, _ Entry, _ Viewer, v *OpView) {
			v.Votes, v.VotesByRole, v.Consent = b.VoteCounts(), b.VotesByRole(), b.ConsentCounts()
		},
	},
	{
		name:   KindJoinsSet,
		who:    facilitatorOnly,
		fields: []field{fOpen},
		prepare: func(_ *Board, e *Entry) *Error {
			if e.Op.Open == nil {
				return Refuse(CodeInvalid, "Say whether new people may join.")
			}
			return nil
		},
		apply: func(b *Board, e Entry) { b.JoinsClosed = !*e.Op.Open },
	},
	{
		name:   KindApprovalSet,
		who:    facilitatorOnly,
		fields: []field{fRequired},
		prepare: func(_ *Board, e *Entry) *Error {
			if e.Op.Required == nil {
				return Refuse(CodeInvalid, "Say whether new cards need your approval.")
			}
			return nil
		},
		apply: func(b *Board, e Entry) { b.Approval = *e.Op.Required },
	},
	{
		name:   KindConsentRound,
		who:    facilitatorOnly,
		fields: []field{fStage},
		prepare: func(b *Board, e *Entry) *Error {
			s := e.Op.Stage
			if s == nil {
				return nil // the round ends
			}
			if !knownStage(*s) {
				return Refuse(CodeInvalid, "Unknown stage.")
			}
			if b.Stages[*s].AgreedLevel == "" {
				return Refuse(CodeInvalid, "Agree a level for this stage before you ask for consent.")
			}
			return nil
		},
		apply: func(b *Board, e Entry) {
			b.ConsentRound = ""
			if s := e.Op.Stage; s != nil {
				b.ConsentRound, b.Focus = *s, *s
			}
		},
	},
}

func (b *Board) prepareStageAgree(e *Entry) *Error {
	op := &e.Op
	if op.Stage == nil || !knownStage(*op.Stage) {
		return Refuse(CodeInvalid, "Choose a stage.")
	}
	if op.Level != nil && !knownLevel(*op.Level) {
		return Refuse(CodeInvalid, "Unknown level of involvement.")
	}
	if op.Note != nil {
		note, err := cleanText(*op.Note, "The note", 0, maxNote, true)
		if err != nil {
			return err
		}
		op.Note = &note
	}
	return nil
}

// removeParticipant takes away a person's votes and consent answers, and
// their cards when asked.
func (b *Board) removeParticipant(id string, cards bool) {
	b.Removed[id] = true
	for _, c := range b.Cards {
		if cards && c.By == id {
			b.deleteCard(c)
			continue
		}
		delete(c.Votes, id)
	}
	delete(b.spent, id)
	for _, answers := range b.Consent {
		delete(answers, id)
	}
}
