package board

// Apply applies the accepted entry e at version b.V+1. The entry was
// prepared against this same version when it was accepted, so it is valid
// here; if it is not (a replica that went wrong), it is checked again and
// applied as a no-op, so that every replica still ends at the same version
// with the same board.
func (b *Board) Apply(e Entry) {
	b.V = e.V
	if err := b.Prepare(&e); err != nil {
		return
	}
	op := e.Op
	switch op.Kind {
	case KindCardAdd:
		c := &Card{ID: op.Card.ID, Text: op.Card.Text, By: e.By, ByRole: e.ByRole}
		stage, level, _ := place(op.Card.Stage, op.Card.Level)
		b.Cards[c.ID] = c
		b.putIn(c, stage, level, -1)
	case KindCardEdit:
		b.Cards[op.CardID].Text = *op.Text
	case KindCardMove:
		c := b.Cards[op.CardID]
		stage, level, _ := place(op.Stage, op.Level)
		b.takeOut(c)
		b.putIn(c, stage, level, *op.Index)
	case KindCardDelete:
		b.deleteCard(b.Cards[op.CardID])
	case KindCardVote:
		c := b.Cards[op.CardID]
		if c.Votes == nil {
			c.Votes = map[string]int{}
		}
		c.Votes[e.By] += *op.Delta
		b.spent[e.By] += *op.Delta
		b.Voters[e.By] = e.ByRole
		if c.Votes[e.By] == 0 {
			delete(c.Votes, e.By)
		}
	case KindCardAgree:
		b.Cards[op.CardID].Agreed = *op.Agreed
	case KindStageAgree:
		st := b.Stages[*op.Stage]
		level := ""
		if op.Level != nil {
			level = *op.Level
		}
		if level != st.AgreedLevel {
			delete(b.Consent, *op.Stage)
		}
		st.AgreedLevel = level
		if op.Note != nil {
			st.Note = *op.Note
		}
	case KindConsentSet:
		if b.Consent[*op.Stage] == nil {
			b.Consent[*op.Stage] = map[string]string{}
		}
		b.Consent[*op.Stage][e.By] = op.Answer
	case KindPhaseSet:
		b.Phase = Phase(op.Phase)
	case KindFocusSet:
		b.Focus = ""
		if op.Stage != nil {
			b.Focus = *op.Stage
		}
	case KindTimerSet:
		b.TimerEndsAt = op.TimerEndsAt
	case KindVotesSet:
		b.VoteBudget = *op.Budget
	case KindParticipantRemove:
		b.removeParticipant(op.ParticipantID, op.RemoveCards != nil && *op.RemoveCards)
	}
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
