package board

import "time"

// facilitatorOnly lists the kinds only a facilitator may send.
var facilitatorOnly = map[string]bool{
	KindCardAgree: true, KindStageAgree: true, KindPhaseSet: true, KindFocusSet: true,
	KindTimerSet: true, KindVotesSet: true, KindParticipantRemove: true,
}

// Prepare checks that e's op may be applied to the board as it is now, by
// e.By in role e.ByRole, and normalises the op (trimmed text, the real
// destination index, the timer's end) so that every replica applies the
// same thing. It changes nothing on the board, nor anything e's op points
// to. The order of checks is: kind, phase (locked, closed), role
// (forbidden), then the op's own fields.
func (b *Board) Prepare(e *Entry) *Error {
	if e.Op.Card != nil { // normalise a copy: the card may be shared with other replicas
		c := *e.Op.Card
		e.Op.Card = &c
	}
	op, role := &e.Op, e.ByRole
	e.Private = b.Phase == PhasePrivate
	if !knownKind(op.Kind) {
		return Refuse(CodeInvalid, "Unknown change %q.", op.Kind)
	}
	if b.Removed[e.By] {
		return Refuse(CodeRemoved, "You were removed from this workshop.")
	}
	isFac := role == RoleFacilitator
	switch {
	case b.Phase == PhaseClosed && !(isFac && op.Kind == KindPhaseSet):
		return Refuse(CodeLocked, "The workshop is closed. The board can no longer change.")
	case b.Phase == PhaseLocked && !isFac:
		return Refuse(CodeLocked, "The board is locked for now. Wait for the facilitator to open it.")
	case facilitatorOnly[op.Kind] && !isFac:
		return Refuse(CodeForbidden, "Only the facilitator can do that.")
	case isFac && (op.Kind == KindCardVote || op.Kind == KindConsentSet):
		return Refuse(CodeForbidden, "Facilitators do not vote or give consent.")
	}
	switch op.Kind {
	case KindCardAdd:
		return b.prepareAdd(e)
	case KindCardEdit:
		c, err := b.ownCard(e, op.CardID)
		if err != nil {
			return err
		}
		if op.Text == nil {
			return Refuse(CodeInvalid, "Card text is empty.")
		}
		text, err := cleanText(*op.Text, "Card text", 1, maxCardText, true)
		if err != nil {
			return err
		}
		op.Text, e.Owner = &text, c.By
	case KindCardMove:
		return b.prepareMove(e)
	case KindCardDelete:
		_, err := b.ownCard(e, op.CardID)
		return err
	case KindCardVote:
		return b.prepareVote(e)
	case KindCardAgree:
		if op.Agreed == nil {
			return Refuse(CodeInvalid, "Say whether the card is agreed.")
		}
		_, err := b.card(op.CardID)
		return err
	case KindStageAgree:
		return b.prepareStageAgree(op)
	case KindConsentSet:
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
	case KindPhaseSet:
		switch Phase(op.Phase) {
		case PhaseOpen, PhasePrivate, PhaseLocked, PhaseClosed:
		default:
			return Refuse(CodeInvalid, "Unknown phase %q.", op.Phase)
		}
	case KindFocusSet:
		if op.Stage != nil && !knownStage(*op.Stage) {
			return Refuse(CodeInvalid, "Unknown stage.")
		}
	case KindTimerSet:
		if op.Seconds == nil {
			op.TimerEndsAt = nil
			return nil
		}
		if *op.Seconds < 1 || *op.Seconds > maxTimerSeconds {
			return Refuse(CodeInvalid, "A timer runs from 1 second to 2 hours.")
		}
		end := e.At.Add(time.Duration(*op.Seconds) * time.Second).UTC()
		op.TimerEndsAt = &end
	case KindVotesSet:
		if op.Budget == nil || *op.Budget < 0 || *op.Budget > maxVoteBudget {
			return Refuse(CodeInvalid, "The vote budget must be from 0 to %d.", maxVoteBudget)
		}
	case KindParticipantRemove:
		if op.ParticipantID == "" || op.ParticipantID == e.By {
			return Refuse(CodeInvalid, "Choose someone other than yourself to remove.")
		}
		if b.Removed[op.ParticipantID] {
			return Refuse(CodeNotFound, "That person is no longer in the workshop.")
		}
	}
	return nil
}

func knownKind(k string) bool {
	switch k {
	case KindCardAdd, KindCardEdit, KindCardMove, KindCardDelete, KindCardVote:
		return true
	}
	return facilitatorOnly[k] || k == KindConsentSet
}

func (b *Board) card(id string) (*Card, *Error) {
	c := b.Cards[id]
	if c == nil {
		return nil, Refuse(CodeNotFound, "That card is no longer on the board.")
	}
	return c, nil
}

// ownCard finds a card that e's sender may change as its author.
func (b *Board) ownCard(e *Entry, id string) (*Card, *Error) {
	c, err := b.card(id)
	if err != nil {
		return nil, err
	}
	if c.By != e.By && e.ByRole != RoleFacilitator {
		return nil, Refuse(CodeForbidden, "Only the person who wrote this card, or the facilitator, can change it.")
	}
	return c, nil
}

// place checks a (stage, level) pair: both known, or both null for the tray.
func place(stage, level *string) (string, string, *Error) {
	if stage == nil && level == nil {
		return "", "", nil
	}
	if stage == nil || level == nil || !knownStage(*stage) || !knownLevel(*level) {
		return "", "", Refuse(CodeInvalid, "Choose a stage and a level, or neither for the tray.")
	}
	return *stage, *level, nil
}

func (b *Board) prepareAdd(e *Entry) *Error {
	in := e.Op.Card
	if in == nil {
		return Refuse(CodeInvalid, "The new card is missing.")
	}
	if !IsUUID(in.ID) {
		return Refuse(CodeInvalid, "The card needs an id.")
	}
	if b.Cards[in.ID] != nil || b.UsedIDs[in.ID] {
		return Refuse(CodeInvalid, "A card with this id was already added.")
	}
	text, err := cleanText(in.Text, "Card text", 1, maxCardText, true)
	if err != nil {
		return err
	}
	if _, _, err := place(in.Stage, in.Level); err != nil {
		return err
	}
	if len(b.Cards) >= MaxCards {
		return Refuse(CodeTooLarge, "This board is full: it holds at most %d cards.", MaxCards)
	}
	in.Text, e.Owner = text, e.By
	return nil
}

func (b *Board) prepareMove(e *Entry) *Error {
	op := &e.Op
	// The card comes first: in private, whose it is decides before its fields.
	c, err := b.card(op.CardID)
	if err != nil {
		return err
	}
	if b.Phase == PhasePrivate && e.ByRole != RoleFacilitator && c.By != e.By {
		return Refuse(CodeLocked, "While ideas are private you can move only your own cards.")
	}
	stage, level, err := place(op.Stage, op.Level)
	if err != nil {
		return err
	}
	if op.Index != nil && *op.Index < 0 {
		return Refuse(CodeInvalid, "The position must be 0 or more.")
	}
	n := len(b.Cells[cellKey(stage, level)])
	if cellKey(stage, level) == cellKey(c.Stage, c.Level) {
		n-- // the card leaves its place first
	}
	i := n
	if op.Index != nil && *op.Index < n {
		i = *op.Index
	}
	op.Index = &i
	return nil
}

func (b *Board) prepareVote(e *Entry) *Error {
	op := &e.Op
	if b.Phase == PhasePrivate {
		return Refuse(CodeLocked, "Voting starts when everyone's ideas are shown.")
	}
	if op.Delta == nil || (*op.Delta != 1 && *op.Delta != -1) {
		return Refuse(CodeInvalid, "A vote is +1 or -1.")
	}
	c, err := b.card(op.CardID)
	if err != nil {
		return err
	}
	if *op.Delta > 0 && b.spent[e.By] >= b.VoteBudget {
		return Refuse(CodeInvalid, "You have used all %d of your votes. Take one back to vote again.", b.VoteBudget)
	}
	if *op.Delta < 0 && c.Votes[e.By] == 0 {
		return Refuse(CodeInvalid, "You have no vote on this card to take back.")
	}
	return nil
}

func (b *Board) prepareStageAgree(op *Op) *Error {
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
