package board

import "time"

// Viewer is the participant a view or a frame is made for.
type Viewer struct {
	ID   string
	Role Role
}

// CardView is a card as one recipient may see it. Text is nil when hidden.
type CardView struct {
	ID     string  `json:"id"`
	Text   *string `json:"text,omitempty"`
	Stage  *string `json:"stage"`
	Level  *string `json:"level"`
	Index  int     `json:"index"`
	By     string  `json:"by"`
	ByRole Role    `json:"byRole"`
	// Votes and VotesByRole (whose votes the card has, by the voters'
	// roles) are nil while results are hidden from the recipient.
	Votes       *int         `json:"votes,omitzero"`
	MyVotes     int          `json:"myVotes"`
	VotesByRole map[Role]int `json:"votesByRole,omitzero"`
	Agreed      bool         `json:"agreed"`
	Hidden      bool         `json:"hidden"`
	// AwaitingApproval: the card waits for the facilitator's approval.
	AwaitingApproval bool `json:"awaitingApproval,omitempty"`
}

// VoteCount is the card's votes, 0 where they are hidden.
func (v CardView) VoteCount() int {
	if v.Votes == nil {
		return 0
	}
	return *v.Votes
}

// StageView is one stage's agreement.
type StageView struct {
	ID          string  `json:"id"`
	AgreedLevel *string `json:"agreedLevel"`
	Note        string  `json:"note"`
}

// Person is a participant as others see them.
type Person struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	Online bool   `json:"online"`
}

// BoardView is the board of the contract, as one recipient sees it.
type BoardView struct {
	ID           string      `json:"id"`
	Code         string      `json:"code"`
	Title        string      `json:"title"`
	Phase        Phase       `json:"phase"`
	Focus        *string     `json:"focus"`
	TimerEndsAt  *time.Time  `json:"timerEndsAt"`
	VoteBudget   int         `json:"voteBudget"`
	Stages       []StageView `json:"stages"`
	Cards        []CardView  `json:"cards"`
	Participants []Person    `json:"participants"`
	// Consent is each stage's tally; nil while results are hidden from
	// the recipient.
	Consent map[string]map[string]int `json:"consent,omitzero"`
	// MyConsent is the recipient's own answer per stage, where given.
	MyConsent map[string]string `json:"myConsent"`
	// The facilitator's settings of v1.1.
	ResultsShown bool    `json:"resultsShown"`
	JoinsOpen    bool    `json:"joinsOpen"`
	Approval     bool    `json:"approval"`
	ConsentRound *string `json:"consentRound"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CardView returns c as viewer sees it now.
func (b *Board) CardView(viewer Viewer, c *Card) CardView { return b.cardView(viewer, c, new(int)) }

// cardView is CardView, with where to keep the card's vote count.
func (b *Board) cardView(viewer Viewer, c *Card, votes *int) CardView {
	v := CardView{
		ID: c.ID, Stage: strPtr(c.Stage), Level: strPtr(c.Level), Index: b.indexIn(c),
		By: c.By, ByRole: c.ByRole, MyVotes: c.Votes[viewer.ID], Agreed: c.Agreed, AwaitingApproval: c.Pending,
	}
	if b.ShowsResults(viewer) {
		*votes = c.voteCount()
		v.Votes, v.VotesByRole = votes, b.votesByRole(c)
	}
	if b.CanSee(viewer, c) {
		text := c.Text
		v.Text = &text
	} else {
		v.Hidden = true
	}
	return v
}

// View returns the whole board as viewer sees it. The workshop's identity
// and people come from the room, which knows them.
func (b *Board) View(viewer Viewer, w Workshop, people []Person) BoardView {
	v := BoardView{
		ID: w.ID, Code: w.Code, Title: w.Title, Phase: b.Phase, Focus: strPtr(b.Focus),
		TimerEndsAt: b.TimerEndsAt, VoteBudget: b.VoteBudget,
		Cards: []CardView{}, Participants: people, MyConsent: map[string]string{},
		ResultsShown: !b.ResultsHidden, JoinsOpen: !b.JoinsClosed, Approval: b.Approval, ConsentRound: strPtr(b.ConsentRound),
	}
	if b.ShowsResults(viewer) {
		v.Consent = b.ConsentCounts()
	}
	for stage, answers := range b.Consent {
		if a, ok := answers[viewer.ID]; ok {
			v.MyConsent[stage] = a
		}
	}
	if v.Participants == nil {
		v.Participants = []Person{}
	}
	for _, s := range Stages {
		st := b.Stages[s]
		v.Stages = append(v.Stages, StageView{ID: s, AgreedLevel: strPtr(st.AgreedLevel), Note: st.Note})
	}
	cards := b.Ordered()
	votes := make([]int, len(cards)) // one allocation for every card's count
	v.Cards = make([]CardView, 0, len(cards))
	for i, c := range cards {
		v.Cards = append(v.Cards, b.cardView(viewer, c, &votes[i]))
	}
	return v
}

// Revealed lists the cards viewer could not read while ideas were private
// and can read now, with their text. It is sent with the phase.set that
// ends private.
func (b *Board) Revealed(viewer Viewer) []CardView {
	out := []CardView{}
	if viewer.Role == RoleFacilitator {
		return out
	}
	for _, c := range b.Ordered() {
		if c.By != viewer.ID && b.CanSee(viewer, c) {
			out = append(out, b.CardView(viewer, c))
		}
	}
	return out
}

// VotesByRole is every card's votes by the voters' roles, by card id.
func (b *Board) VotesByRole() map[string]map[Role]int {
	out := make(map[string]map[Role]int, len(b.Cards))
	for id, c := range b.Cards {
		out[id] = b.votesByRole(c)
	}
	return out
}

// VoteCounts is every card's votes, by card id.
func (b *Board) VoteCounts() map[string]int {
	out := make(map[string]int, len(b.Cards))
	for id, c := range b.Cards {
		out[id] = c.voteCount()
	}
	return out
}
