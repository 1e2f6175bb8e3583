package board

import "slices"

// Op kinds about cards.
const (
	KindCardAdd    = "card.add"
	KindCardEdit   = "card.edit"
	KindCardMove   = "card.move"
	KindCardDelete = "card.delete"
	KindCardVote   = "card.vote"
	KindCardAgree  = "card.agree"
	// KindCardApprove lets everyone see a card that waited for approval.
	KindCardApprove = "card.approve"
	// KindCellSort orders a cell's cards by votes, most first.
	KindCellSort = "cell.sort"
)

var cardKinds = []*kind{
	{
		name:    KindCardAdd,
		fields:  []field{fCard},
		hidden:  []field{fHiddenCard},
		prepare: (*Board).prepareAdd,
		apply: func(b *Board, e Entry) {
			in := e.Op.Card
			c := &Card{ID: in.ID, Text: in.Text, By: e.By, ByRole: e.ByRole, Pending: b.needsApproval(&e)}
			stage, level, _ := place(in.Stage, in.Level)
			b.Cards[c.ID] = c
			b.putIn(c, stage, level, -1)
		},
	},
	{
		name:   KindCardEdit,
		fields: []field{fCardID, fText},
		hidden: []field{fCardID, fHiddenTrue},
		prepare: func(b *Board, e *Entry) *Error {
			op := &e.Op
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
			e.Private = e.Private || c.Pending
			return nil
		},
		apply: func(b *Board, e Entry) { b.Cards[e.Op.CardID].Text = *e.Op.Text },
	},
	{
		name:    KindCardMove,
		fields:  []field{fCardID, fIndex, fLevel, fStage},
		prepare: (*Board).prepareMove,
		apply: func(b *Board, e Entry) {
			op := &e.Op
			c := b.Cards[op.CardID]
			stage, level, _ := place(op.Stage, op.Level)
			b.takeOut(c)
			b.putIn(c, stage, level, *op.Index)
		},
	},
	{
		name:   KindCardDelete,
		fields: []field{fCardID},
		prepare: func(b *Board, e *Entry) *Error {
			_, err := b.ownCard(e, e.Op.CardID)
			return err
		},
		apply: func(b *Board, e Entry) { b.deleteCard(b.Cards[e.Op.CardID]) },
	},
	{
		name:    KindCardVote,
		who:     participantOnly,
		fields:  []field{fCardID, fDelta},
		ballot:  []field{fCardID, fDelta},
		prepare: (*Board).prepareVote,
		apply: func(b *Board, e Entry) {
			c, delta := b.Cards[e.Op.CardID], *e.Op.Delta
			if c.Votes == nil {
				c.Votes = map[string]int{}
			}
			c.Votes[e.By] += delta
			b.spent[e.By] += delta
			b.Voters[e.By] = e.ByRole
			if c.Votes[e.By] == 0 {
				delete(c.Votes, e.By)
			}
		},
	},
	{
		name:   KindCardAgree,
		who:    facilitatorOnly,
		fields: []field{fAgreed, fCardID},
		prepare: func(b *Board, e *Entry) *Error {
			if e.Op.Agreed == nil {
				return Refuse(CodeInvalid, "Say whether the card is agreed.")
			}
			_, err := b.card(e.Op.CardID)
			return err
		},
		apply: func(b *Board, e Entry) { b.Cards[e.Op.CardID].Agreed = *e.Op.Agreed },
	},
	{
		name:   KindCardApprove,
		who:    facilitatorOnly,
		fields: []field{fCardID},
		prepare: func(b *Board, e *Entry) *Error {
			c, err := b.card(e.Op.CardID)
			if err != nil {
				return err
			}
			if !c.Pending {
				return Refuse(CodeInvalid, "Everyone can already see this card.")
			}
			e.Owner = c.By
			return nil
		},
		apply:   func(b *Board, e Entry) { b.Cards[e.Op.CardID].Pending = false },
		barrier: true,
		// Out of the private phase, everyone but its author and the
		// facilitators sees the card for the first time.
		revealsTo: func(e Entry) (bool, string) { return !e.Private, e.Owner },
		reveal: func(b *Board, e Entry, viewer Viewer, v *OpView) {
			if c := b.Cards[e.Op.CardID]; c != nil && b.CanSee(viewer, c) {
				v.Revealed = []CardView{b.CardView(viewer, c)}
			}
		},
	},
	{
		name:   KindCellSort,
		who:    facilitatorOnly,
		fields: []field{fLevel, fStage},
		prepare: func(b *Board, e *Entry) *Error {
			if _, _, err := place(e.Op.Stage, e.Op.Level); err != nil {
				return err
			}
			if b.ResultsHidden {
				return Refuse(CodeInvalid, "Show the results before sorting by votes: the order would give them away.")
			}
			return nil
		},
		apply: func(b *Board, e Entry) {
			stage, level, _ := place(e.Op.Stage, e.Op.Level)
			ids := b.Cells[cellKey(stage, level)]
			slices.SortStableFunc(ids, func(x, y string) int { return b.Cards[y].voteCount() - b.Cards[x].voteCount() })
		},
	},
}

// needsApproval says whether the card e adds waits for the facilitator.
func (b *Board) needsApproval(e *Entry) bool {
	return b.Approval && e.ByRole != RoleFacilitator
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
	e.Private = e.Private || b.needsApproval(e)
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
	if c.Pending && e.ByRole != RoleFacilitator && c.By != e.By {
		return Refuse(CodeForbidden, "This card waits for the facilitator's approval.")
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
	if c.Pending {
		return Refuse(CodeInvalid, "This card waits for the facilitator's approval.")
	}
	if *op.Delta > 0 && b.spent[e.By] >= b.VoteBudget {
		return Refuse(CodeInvalid, "You have used all %d of your votes. Take one back to vote again.", b.VoteBudget)
	}
	if *op.Delta < 0 && c.Votes[e.By] == 0 {
		return Refuse(CodeInvalid, "You have no vote on this card to take back.")
	}
	e.Hushed = b.ResultsHidden
	return nil
}
