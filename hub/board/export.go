package board

import (
	"sort"
	"time"
)

// Credit names the source of the board's stages-by-levels grid. Every
// export carries it.
const Credit = "Grid adapted from the Inspiring Impact guidance by NPC"

// Export is the record of a workshop: the board as a facilitator sees it,
// who took part, and what was agreed. The server renders it as JSON, CSV,
// Markdown or HTML; this is also the JSON document itself.
//
// Workshop, ExportedAt, Board, Participants and Balance are the contract's
// fields. Stages, Tray, Agreed, Turnout, BalanceTotal and Credit are
// additions, the same facts arranged the way a summary reads them.
type Export struct {
	Workshop     ExportWorkshop `json:"workshop"`
	ExportedAt   time.Time      `json:"exportedAt"`
	Board        BoardView      `json:"board"`
	Participants []ExportPerson `json:"participants"`
	// Balance is whose voice is on each stage, keyed by stage id.
	Balance map[string]Balance `json:"balance"`

	// Stages is each stage, in order, with its agreement and its cards.
	Stages []StageSummary `json:"stages"`
	// Tray is the cards not placed on the grid, in tray order.
	Tray []CardView `json:"tray"`
	// Agreed is every agreed card, in board order (tray last).
	Agreed []CardView `json:"agreed"`
	// Turnout is how many people took part, by role (every role present).
	Turnout map[Role]int `json:"turnout"`
	// BalanceTotal is Balance over the whole board, tray included.
	BalanceTotal Balance `json:"balanceTotal"`
	Credit       string  `json:"credit"`
}

// ExportWorkshop names the workshop an export is of. CreatedAt is the
// workshop's date.
type ExportWorkshop struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Title     string    `json:"title"`
	Phase     Phase     `json:"phase"`
	CreatedAt time.Time `json:"createdAt"`
}

// ExportPerson is someone who took part. Name is as they gave it, empty
// when they stayed anonymous.
type ExportPerson struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	JoinedAt time.Time `json:"joinedAt"`
}

// Voice counts the cards written and the votes cast by one group.
type Voice struct {
	Cards int `json:"cards"`
	Votes int `json:"votes"`
}

// Balance is whose voice is on (part of) the board. Cards count under
// their author's role and votes under the voter's role, so a staff
// member's vote on a service user's card counts for staff. Facilitators'
// cards are kept apart, in Facilitator, and are in neither Staff nor
// ServiceUser: the balance is between the two groups of participants.
// Facilitators do not vote, so Facilitator.Votes is 0.
type Balance struct {
	Staff       Voice `json:"staff"`
	ServiceUser Voice `json:"serviceUser"`
	Facilitator Voice `json:"facilitator"`
}

// StageSummary is one stage as the record tells it: what level was agreed,
// how people answered the consent round, whose voice is on it, the agreed
// cards (in level order), then the other cards level by level.
type StageSummary struct {
	ID          string         `json:"id"`
	AgreedLevel *string        `json:"agreedLevel"`
	Note        string         `json:"note"`
	Consent     map[string]int `json:"consent"`
	Balance     Balance        `json:"balance"`
	Agreed      []CardView     `json:"agreed"`
	// Levels has every level, in order, with its cards not agreed, in
	// board order (possibly none).
	Levels []LevelCards `json:"levels"`
}

// LevelCards is the cards of one cell.
type LevelCards struct {
	Level string     `json:"level"`
	Cards []CardView `json:"cards"`
}

// BuildExport assembles the record of workshop w from its board and its
// participants, as at the time at. People removed by the facilitator are
// left out (their votes and consent answers already are; cards they wrote
// and that were kept still count under their role). It changes nothing.
func BuildExport(w Workshop, b *Board, people []Participant, at time.Time) Export {
	roles := map[string]Role{}
	for _, p := range people {
		roles[p.ID] = p.Role
	}
	present := make([]Participant, 0, len(people))
	for _, p := range people {
		if !b.Removed[p.ID] {
			present = append(present, p)
		}
	}
	sort.SliceStable(present, func(i, j int) bool {
		if !present[i].JoinedAt.Equal(present[j].JoinedAt) {
			return present[i].JoinedAt.Before(present[j].JoinedAt)
		}
		return present[i].ID < present[j].ID
	})
	x := Export{
		Workshop:     ExportWorkshop{ID: w.ID, Code: w.Code, Title: w.Title, Phase: b.Phase, CreatedAt: w.CreatedAt.UTC()},
		ExportedAt:   at.UTC(),
		Participants: []ExportPerson{},
		Balance:      map[string]Balance{},
		Tray:         []CardView{},
		Agreed:       []CardView{},
		Turnout:      map[Role]int{RoleFacilitator: 0, RoleStaff: 0, RoleServiceUser: 0},
		Credit:       Credit,
	}
	persons := []Person{}
	for _, p := range present {
		x.Participants = append(x.Participants, ExportPerson{ID: p.ID, Name: p.Name, Role: p.Role, JoinedAt: p.JoinedAt.UTC()})
		persons = append(persons, Person{ID: p.ID, Name: p.Name, Role: p.Role})
		x.Turnout[p.Role]++
	}
	// A facilitator with no id of their own: sees every text, has no votes.
	x.Board = b.View(Viewer{Role: RoleFacilitator}, w, persons)

	consent := b.ConsentCounts()
	for i, s := range Stages {
		sv := x.Board.Stages[i]
		sum := StageSummary{ID: s, AgreedLevel: sv.AgreedLevel, Note: sv.Note, Consent: consent[s], Agreed: []CardView{}}
		for _, l := range Levels {
			lc := LevelCards{Level: l, Cards: []CardView{}}
			for _, id := range b.Cells[cellKey(s, l)] {
				c := b.Cards[id]
				sum.Balance.add(c, roles)
				v := b.CardView(Viewer{Role: RoleFacilitator}, c)
				if c.Agreed {
					sum.Agreed = append(sum.Agreed, v)
				} else {
					lc.Cards = append(lc.Cards, v)
				}
			}
			sum.Levels = append(sum.Levels, lc)
		}
		x.Balance[s] = sum.Balance
		x.BalanceTotal = x.BalanceTotal.plus(sum.Balance)
		x.Stages = append(x.Stages, sum)
	}
	var tray Balance
	for _, id := range b.Cells[""] {
		c := b.Cards[id]
		tray.add(c, roles)
		x.Tray = append(x.Tray, b.CardView(Viewer{Role: RoleFacilitator}, c))
	}
	x.BalanceTotal = x.BalanceTotal.plus(tray)
	for _, c := range x.Board.Cards {
		if c.Agreed {
			x.Agreed = append(x.Agreed, c)
		}
	}
	return x
}

// add counts card c and the votes on it; roles maps voters to their role.
func (bal *Balance) add(c *Card, roles map[string]Role) {
	if v := bal.of(c.ByRole); v != nil {
		v.Cards++
	}
	for voter, n := range c.Votes {
		if v := bal.of(roles[voter]); v != nil {
			v.Votes += n
		}
	}
}

func (bal *Balance) of(r Role) *Voice {
	switch r {
	case RoleStaff:
		return &bal.Staff
	case RoleServiceUser:
		return &bal.ServiceUser
	case RoleFacilitator:
		return &bal.Facilitator
	}
	return nil
}

func (bal Balance) plus(o Balance) Balance {
	return Balance{
		Staff:       Voice{bal.Staff.Cards + o.Staff.Cards, bal.Staff.Votes + o.Staff.Votes},
		ServiceUser: Voice{bal.ServiceUser.Cards + o.ServiceUser.Cards, bal.ServiceUser.Votes + o.ServiceUser.Votes},
		Facilitator: Voice{bal.Facilitator.Cards + o.Facilitator.Cards, bal.Facilitator.Votes + o.Facilitator.Votes},
	}
}
