package main

import (
	"fmt"
	"strings"

	"github.com/withboard/withboard/hub/board"
)

// The words of the board, as the pages use them (web/static/js/grid.js).
var (
	stageNames = map[string]string{"plan": "Plan", "do": "Do", "assess": "Assess", "review": "Review"}
	stageAbout = map[string]string{
		"plan": "choosing what to measure", "do": "gathering the information",
		"assess": "making sense of it", "review": "acting on what you learned",
	}
	levelNames = map[string]string{"consultation": "Consultation", "conversation": "Conversation", "participation": "Participation"}
	levelAbout = map[string]string{
		"consultation": "asking people what they think", "conversation": "talking it through together",
		"participation": "doing it together",
	}
	phaseNotes = map[board.Phase]string{
		board.PhaseOpen:    "The board was still open for changes when this record was made.",
		board.PhasePrivate: "The board was still open, with ideas kept private, when this record was made.",
		board.PhaseLocked:  "The board was locked when this record was made.",
		board.PhaseClosed:  "The workshop is closed: this is its final record.",
	}
)

// doc is an export arranged for reading, shared by the Markdown and HTML
// renderers: display words instead of ids, sections in reading order.
type doc struct {
	Title     string
	Date      string // the day of the workshop
	Exported  string // when the record was made
	PhaseNote string
	People    []docRole
	Voice     []docVoice     // whole board
	Levels    []docLevelName // the grid's columns
	Stages    []docStage
	Tray      []docCard
	Credit    string
}

// docLevelName is a level of involvement as a column of the grid.
type docLevelName struct{ Name, About string }

// docCell is one cell of the grid: how many cards it holds, and whether
// its level is the one agreed for its stage.
type docCell struct {
	Level  string
	Cards  int
	Agreed bool
}

// docRole is how many people of one role took part, and the names given.
type docRole struct {
	Label     string
	Count     int
	Names     []string
	Anonymous int
	one, many string // "staff member", "staff members"
}

// docVoice is one group's cards and votes.
type docVoice struct {
	Label        string
	Cards, Votes int
}

type docStage struct {
	ID, Name, About string
	AgreedLevel     string // display name, "" when none was agreed
	Note            string
	Agree, Unsure   int
	Disagree        int
	Voice           []docVoice
	Agreed          []docCard
	Levels          []docLevel // levels with other cards only
	Grid            []docCell  // every level, in order
}

type docLevel struct {
	Name  string
	Cards []docCard
}

type docCard struct {
	Text   string // line breaks as \n
	Level  string // display name, "" in the tray
	Votes  int
	Agreed bool
}

func newDoc(x board.Export) doc {
	d := doc{
		Title:     x.Workshop.Title,
		Date:      workshopDay(x).Format("2 January 2006"),
		Exported:  x.ExportedAt.UTC().Format("2 January 2006 at 15:04 UTC"),
		PhaseNote: phaseNotes[x.Workshop.Phase],
		Voice:     voices(x.BalanceTotal),
		Credit:    x.Credit,
	}
	for _, l := range board.Levels {
		d.Levels = append(d.Levels, docLevelName{levelNames[l], levelAbout[l]})
	}
	for _, r := range []struct {
		role             board.Role
		label, one, many string
	}{
		{board.RoleFacilitator, "Facilitators", "facilitator", "facilitators"},
		{board.RoleStaff, "Staff", "staff member", "staff members"},
		{board.RoleServiceUser, "Service users", "service user", "service users"},
	} {
		dr := docRole{Label: r.label, one: r.one, many: r.many}
		for _, p := range x.Participants {
			switch {
			case p.Role != r.role:
			case p.Name == "":
				dr.Anonymous++
			default:
				dr.Names = append(dr.Names, p.Name)
			}
		}
		dr.Count = len(dr.Names) + dr.Anonymous
		d.People = append(d.People, dr)
	}
	for _, s := range x.Stages {
		ds := docStage{
			ID: s.ID, Name: stageNames[s.ID], About: stageAbout[s.ID], Note: displayText(s.Note),
			Agree: s.Consent["agree"], Unsure: s.Consent["unsure"], Disagree: s.Consent["disagree"],
			Voice: voices(s.Balance),
		}
		if s.AgreedLevel != nil {
			ds.AgreedLevel = levelNames[*s.AgreedLevel]
		}
		for _, c := range s.Agreed {
			ds.Agreed = append(ds.Agreed, newDocCard(c))
		}
		for _, l := range s.Levels {
			cell := docCell{Level: levelNames[l.Level], Cards: len(l.Cards), Agreed: s.AgreedLevel != nil && *s.AgreedLevel == l.Level}
			for _, c := range s.Agreed {
				if c.Level != nil && *c.Level == l.Level {
					cell.Cards++
				}
			}
			ds.Grid = append(ds.Grid, cell)
			if len(l.Cards) == 0 {
				continue
			}
			dl := docLevel{Name: levelNames[l.Level]}
			for _, c := range l.Cards {
				dl.Cards = append(dl.Cards, newDocCard(c))
			}
			ds.Levels = append(ds.Levels, dl)
		}
		d.Stages = append(d.Stages, ds)
	}
	for _, c := range x.Tray {
		d.Tray = append(d.Tray, newDocCard(c))
	}
	return d
}

func newDocCard(c board.CardView) docCard {
	dc := docCard{Votes: c.VoteCount(), Agreed: c.Agreed}
	if c.Text != nil {
		dc.Text = displayText(*c.Text)
	}
	if c.Level != nil {
		dc.Level = levelNames[*c.Level]
	}
	return dc
}

// voices lists the two groups of participants, then facilitators only
// when they wrote cards.
func voices(b board.Balance) []docVoice {
	v := []docVoice{
		{"Staff", b.Staff.Cards, b.Staff.Votes},
		{"Service users", b.ServiceUser.Cards, b.ServiceUser.Votes},
	}
	if b.Facilitator.Cards > 0 {
		v = append(v, docVoice{"Facilitators", b.Facilitator.Cards, b.Facilitator.Votes})
	}
	return v
}

// displayText makes every line break a \n, for documents (the JSON and
// CSV keep text exactly as written).
func displayText(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// count says "1 vote", "2 votes".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprint(n, " ", many)
}

// cardCount says "no cards", "1 card", "2 cards".
func cardCount(n int) string {
	if n == 0 {
		return "no cards"
	}
	return count(n, "card", "cards")
}

// tally says how many people did something: "no one agrees", "1
// agrees", "2 agree".
func tally(n int, one, many string) string {
	switch n {
	case 0:
		return "no one " + one
	case 1:
		return "1 " + one
	}
	return fmt.Sprint(n, " ", many)
}

// andList joins phrases as a sentence does: "a", "a and b", "a, b and c".
func andList(parts ...string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// ConsentLine says how people answered a stage's consent round: "2
// agree, 1 is unsure and no one disagrees".
func (s docStage) ConsentLine() string {
	return andList(tally(s.Agree, "agrees", "agree"), tally(s.Unsure, "is unsure", "are unsure"), tally(s.Disagree, "disagrees", "disagree"))
}

// ConsentSaid tells a stage's consent round as the take-home summary
// does: "1 said they agree, 2 were unsure and no one disagreed".
func (s docStage) ConsentSaid() string {
	return andList(tally(s.Agree, "said they agree", "said they agree"), tally(s.Unsure, "was unsure", "were unsure"), tally(s.Disagree, "disagreed", "disagreed"))
}

// Turnout says how many people of each role took part: "1 facilitator,
// 3 staff members and 1 service user"; roles no one had are left out.
func (d doc) Turnout() string {
	var parts []string
	for _, r := range d.People {
		if r.Count > 0 {
			parts = append(parts, count(r.Count, r.one, r.many))
		}
	}
	if len(parts) == 0 {
		return "no one joined"
	}
	return andList(parts...)
}

// Who says who of one role took part: the names given, then how many
// gave none.
func (r docRole) Who() string {
	if r.Count == 0 {
		return ""
	}
	if len(r.Names) == 0 {
		return "no names given"
	}
	s := strings.Join(r.Names, ", ")
	if r.Anonymous > 0 {
		s += fmt.Sprintf(", and %d without a name", r.Anonymous)
	}
	return s
}
