package board

import (
	"encoding/json"
	"fmt"
	"time"
)

// Board limits.
const (
	// MaxCards is how many cards one board holds; past it card.add is tooLarge.
	MaxCards = 2000
	// DefaultVoteBudget is each participant's votes on a new board.
	DefaultVoteBudget = 3
	maxVoteBudget     = 20
	maxTimerSeconds   = 7200
)

// Card is one idea on the board.
type Card struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	By     string `json:"by"`
	ByRole Role   `json:"byRole"`
	Agreed bool   `json:"agreed,omitempty"`
	// Pending: a participant added it while cards needed approval, and the
	// facilitator has not approved it yet.
	Pending bool           `json:"pending,omitempty"`
	Votes   map[string]int `json:"votes,omitempty"` // participant id -> votes
	// Stage and Level are "" in the tray; Index is kept by the cell lists.
	Stage string `json:"stage,omitempty"`
	Level string `json:"level,omitempty"`
}

// votesByRole counts a card's votes by the voters' roles.
func (b *Board) votesByRole(c *Card) map[Role]int {
	out := map[Role]int{}
	for p, n := range c.Votes {
		out[b.Voters[p]] += n
	}
	return out
}

func (c *Card) voteCount() int {
	n := 0
	for _, v := range c.Votes {
		n += v
	}
	return n
}

// Contributors are the participants who have something on the board: a
// card, a vote or a consent answer.
func (b *Board) Contributors() map[string]bool {
	in := map[string]bool{}
	for _, c := range b.Cards {
		in[c.By] = true
		for p, n := range c.Votes {
			if n > 0 {
				in[p] = true
			}
		}
	}
	for _, answers := range b.Consent {
		for p := range answers {
			in[p] = true
		}
	}
	return in
}

// StageState is what the group agreed for one stage.
type StageState struct {
	AgreedLevel string `json:"agreedLevel,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Board is one workshop's state at version V. It is plain data with pure
// rules: Prepare checks an op, Apply changes the board. It does no I/O and
// is not safe for concurrent use; its room owns it.
type Board struct {
	V           int64                        `json:"v"`
	LastID      string                       `json:"lastId,omitempty"` // the id of the op at V
	Phase       Phase                        `json:"phase"`
	Focus       string                       `json:"focus,omitempty"`
	TimerEndsAt *time.Time                   `json:"timerEndsAt,omitempty"`
	VoteBudget  int                          `json:"voteBudget"`
	Stages      map[string]*StageState       `json:"stages"`
	Cards       map[string]*Card             `json:"cards"`
	Cells       map[string][]string          `json:"cells"`   // cell key -> card ids in order
	Consent     map[string]map[string]string `json:"consent"` // stage -> participant -> answer
	Removed     map[string]bool              `json:"removed,omitempty"`
	UsedIDs     map[string]bool              `json:"usedIds,omitempty"` // ids of deleted cards
	Voters      map[string]Role              `json:"voters,omitempty"`  // participant id -> role, of everyone who voted
	// The facilitator's settings of v1.1; their zero values are v1's.
	ResultsHidden bool   `json:"resultsHidden,omitempty"` // votes and consent counts shown only to facilitators
	JoinsClosed   bool   `json:"joinsClosed,omitempty"`   // no one new may join
	Approval      bool   `json:"approval,omitempty"`      // participants' new cards wait for approval
	ConsentRound  string `json:"consentRound,omitempty"`  // the stage whose consent is being asked

	spent map[string]int // derived: participant id -> votes cast
}

// NewBoard returns an empty board at version 0.
func NewBoard() *Board {
	b := &Board{Phase: PhaseOpen, VoteBudget: DefaultVoteBudget}
	b.init()
	return b
}

func (b *Board) init() {
	if b.Stages == nil {
		b.Stages = map[string]*StageState{}
	}
	for _, s := range Stages {
		if b.Stages[s] == nil {
			b.Stages[s] = &StageState{}
		}
	}
	if b.Cards == nil {
		b.Cards = map[string]*Card{}
	}
	if b.Cells == nil {
		b.Cells = map[string][]string{}
	}
	if b.Consent == nil {
		b.Consent = map[string]map[string]string{}
	}
	if b.Removed == nil {
		b.Removed = map[string]bool{}
	}
	if b.UsedIDs == nil {
		b.UsedIDs = map[string]bool{}
	}
	if b.Voters == nil {
		b.Voters = map[string]Role{}
	}
	b.spent = map[string]int{}
	for _, c := range b.Cards {
		for p, n := range c.Votes {
			b.spent[p] += n
		}
	}
}

// MarshalBoard encodes the whole state, for snapshots.
func (b *Board) MarshalBoard() ([]byte, error) { return json.Marshal(b) }

// UnmarshalBoard decodes a state written by MarshalBoard.
func UnmarshalBoard(data []byte) (*Board, error) {
	b := &Board{}
	if err := json.Unmarshal(data, b); err != nil {
		return nil, fmt.Errorf("decode board: %w", err)
	}
	b.init()
	return b, nil
}

// Spent is how many votes a participant has on the board.
func (b *Board) Spent(participant string) int { return b.spent[participant] }

func cellKey(stage, level string) string {
	if stage == "" {
		return ""
	}
	return stage + "/" + level
}

// indexIn returns the card's position in its cell.
func (b *Board) indexIn(c *Card) int {
	return indexOf(b.Cells[cellKey(c.Stage, c.Level)], c.ID)
}

func (b *Board) takeOut(c *Card) {
	k := cellKey(c.Stage, c.Level)
	ids := b.Cells[k]
	if i := indexOf(ids, c.ID); i >= 0 {
		ids = append(ids[:i:i], ids[i+1:]...)
	}
	if len(ids) == 0 {
		delete(b.Cells, k)
	} else {
		b.Cells[k] = ids
	}
}

func (b *Board) putIn(c *Card, stage, level string, index int) {
	c.Stage, c.Level = stage, level
	k := cellKey(stage, level)
	ids := b.Cells[k]
	if index < 0 || index > len(ids) {
		index = len(ids)
	}
	ids = append(ids, "")
	copy(ids[index+1:], ids[index:])
	ids[index] = c.ID
	b.Cells[k] = ids
}

func (b *Board) deleteCard(c *Card) {
	for p, n := range c.Votes {
		b.spent[p] -= n
	}
	b.takeOut(c)
	delete(b.Cards, c.ID)
	b.UsedIDs[c.ID] = true
}

// Ordered returns the cards by stage, level and index, tray cards last.
func (b *Board) Ordered() []*Card {
	out := make([]*Card, 0, len(b.Cards))
	for _, s := range Stages {
		for _, l := range Levels {
			for _, id := range b.Cells[cellKey(s, l)] {
				out = append(out, b.Cards[id])
			}
		}
	}
	for _, id := range b.Cells[""] {
		out = append(out, b.Cards[id])
	}
	return out
}

// CanSee says whether a viewer may read a card's text now: facilitators
// and its author always; others unless ideas are private or the card
// waits for approval.
func (b *Board) CanSee(viewer Viewer, c *Card) bool {
	if viewer.Role == RoleFacilitator || (viewer.ID != "" && viewer.ID == c.By) {
		return true
	}
	return b.Phase != PhasePrivate && !c.Pending
}

// ShowsResults says whether viewer may see votes and consent counts.
func (b *Board) ShowsResults(viewer Viewer) bool {
	return !b.ResultsHidden || viewer.Role == RoleFacilitator
}

// ConsentCounts is the tally of answers for each stage.
func (b *Board) ConsentCounts() map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, s := range Stages {
		n := map[string]int{"agree": 0, "unsure": 0, "disagree": 0}
		for _, a := range b.Consent[s] {
			n[a]++
		}
		out[s] = n
	}
	return out
}
