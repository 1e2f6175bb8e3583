package board

// Prepare checks that e's op may be applied to the board as it is now, by
// e.By in role e.ByRole, and normalises the op (trimmed text, the real
// destination index, the timer's end) so that every replica applies the
// same thing. It changes nothing on the board, nor anything e's op points
// to. The order of checks is: kind, phase (locked, closed), role
// (forbidden), then the op's own fields, by its kind's prepare.
func (b *Board) Prepare(e *Entry) *Error {
	if e.Op.Card != nil { // normalise a copy: the card may be shared with other replicas
		c := *e.Op.Card
		e.Op.Card = &c
	}
	op, role := &e.Op, e.ByRole
	e.Private = b.Phase == PhasePrivate
	k := kinds[op.Kind]
	if k == nil {
		return Refuse(CodeInvalid, "Unknown change %q.", op.Kind)
	}
	if b.Removed[e.By] {
		return Refuse(CodeRemoved, "You were removed from this workshop.")
	}
	isFac := role == RoleFacilitator
	switch {
	case b.Phase == PhaseClosed && !(isFac && op.Kind == KindPhaseSet):
		return Refuse(CodeLocked, "The workshop is closed. The board can no longer change.")
	case b.Phase == PhaseLocked && !isFac && (k.whileLocked == nil || !k.whileLocked(b, e)):
		return Refuse(CodeLocked, "The board is locked for now. Wait for the facilitator to open it.")
	case k.who == facilitatorOnly && !isFac:
		return Refuse(CodeForbidden, "Only the facilitator can do that.")
	case k.who == participantOnly && isFac:
		return Refuse(CodeForbidden, "Facilitators do not vote or give consent.")
	}
	return k.prepare(b, e)
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
