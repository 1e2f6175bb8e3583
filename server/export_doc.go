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
	Voice     []docVoice // whole board
	Stages    []docStage
	Tray      []docCard
	Credit    string
}

// docRole is how many people of one role took part, and the names given.
type docRole struct {
	Label     string
	Count     int
	Names     []string
	Anonymous int
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
	for _, r := range []struct {
		role  board.Role
		label string
	}{{board.RoleFacilitator, "Facilitators"}, {board.RoleStaff, "Staff"}, {board.RoleServiceUser, "Service users"}} {
		dr := docRole{Label: r.label}
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
