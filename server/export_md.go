package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/withboard/withboard/hub/board"
)

// renderMarkdown writes a readable summary: the workshop, who took part
// and whose voice is on the board, then one "## " section per stage (and
// no other "## " heading) with its agreed level, note, consent, balance,
// agreed cards and the other cards by level, then the tray and the credit.
// Every text people wrote is escaped, so that it reads as written and can
// never become a heading, a link, a list or HTML.
func renderMarkdown(out io.Writer, x board.Export) error {
	d := newDoc(x)
	w := bufio.NewWriter(out)
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }

	p("# %s\n\n", mdEscape(d.Title))
	p("Workshop of %s. %s Record made %s.\n\n", d.Date, d.PhaseNote, d.Exported)

	p("| Stage | Agreed level | Agree | Unsure | Disagree |\n| --- | --- | ---: | ---: | ---: |\n")
	for _, s := range d.Stages {
		p("| %s | %s | %d | %d | %d |\n", s.Name, orNone(s.AgreedLevel), s.Agree, s.Unsure, s.Disagree)
	}
	p("\n**Who took part**\n\n")
	for _, r := range d.People {
		if who := r.Who(); who != "" {
			p("- %s: %d (%s)\n", r.Label, r.Count, mdEscape(who))
		} else {
			p("- %s: 0\n", r.Label)
		}
	}
	p("\n**Whose voice is on the board**\n\n")
	mdVoices(p, d.Voice)

	for _, s := range d.Stages {
		p("\n## %s: %s\n\n", s.Name, s.About)
		p("**Agreed level:** %s\n\n", orNone(s.AgreedLevel))
		if s.Note != "" {
			p("**Note:** %s\n\n", mdLines(s.Note, ""))
		}
		if s.AgreedLevel != "" {
			p("**Consent:** %s.\n\n", s.ConsentLine())
		}
		p("**Whose voice:**\n\n")
		mdVoices(p, s.Voice)
		p("\n### Agreed\n\n")
		if len(s.Agreed) == 0 {
			p("No card was marked as agreed.\n")
		}
		for _, c := range s.Agreed {
			p("- %s — %s, %s\n", mdLines(c.Text, "  "), c.Level, count(c.Votes, "vote", "votes"))
		}
		if len(s.Levels) == 0 {
			p("\nNo other cards.\n")
		}
		for _, l := range s.Levels {
			p("\n### Other cards: %s\n\n", l.Name)
			for _, c := range l.Cards {
				p("- %s — %s\n", mdLines(c.Text, "  "), count(c.Votes, "vote", "votes"))
			}
		}
	}

	p("\n---\n\n**Not placed on the grid**\n\n")
	if len(d.Tray) == 0 {
		p("None.\n")
	}
	for _, c := range d.Tray {
		agreed := ""
		if c.Agreed {
			agreed = ", agreed"
		}
		p("- %s — %s%s\n", mdLines(c.Text, "  "), count(c.Votes, "vote", "votes"), agreed)
	}
	p("\n*%s. Made with Withboard.*\n", d.Credit)
	return w.Flush()
}

func mdVoices(p func(string, ...any), vs []docVoice) {
	for _, v := range vs {
		p("- %s: %s, %s\n", v.Label, count(v.Cards, "card", "cards"), count(v.Votes, "vote", "votes"))
	}
}

func orNone(level string) string {
	if level == "" {
		return "none agreed"
	}
	return level
}

// mdLines escapes text that may hold line breaks for a place in a list
// item or paragraph: each line is escaped, continuation lines are indented
// by indent, and a line break is a hard break (a trailing backslash), or a
// blank line where the text has one.
func mdLines(text, indent string) string {
	lines := strings.Split(text, "\n")
	var b strings.Builder
	for i, line := range lines {
		blank := strings.TrimSpace(line) == ""
		if i > 0 {
			if !blank && strings.TrimSpace(lines[i-1]) != "" {
				b.WriteByte('\\')
			}
			b.WriteByte('\n')
			if !blank {
				b.WriteString(indent)
			}
		}
		if !blank {
			b.WriteString(mdEscape(line))
		}
	}
	return b.String()
}

// mdEscape escapes one line of plain text so that Markdown (CommonMark and
// GitHub's) shows it as written. Anywhere in the line: \ ` * _ [ ] < # ~
// and an & that would start an entity. At its start (after spaces): the
// markers of lists, block quotes, setext underlines and tables, and the
// dot or bracket after a number.
func mdEscape(line string) string {
	var b strings.Builder
	rest := strings.TrimLeft(line, " \t")
	b.WriteString(line[:len(line)-len(rest)])
	digits := 0
	for i, r := range rest {
		switch {
		case strings.ContainsRune("\\`*_[]<#~", r):
			b.WriteByte('\\')
		case i == 0 && strings.ContainsRune("-+=>:|", r):
			b.WriteByte('\\')
		case r == '&' && startsEntity(rest[i+1:]):
			b.WriteByte('\\')
		case (r == '.' || r == ')') && digits == i && i > 0:
			b.WriteByte('\\')
		}
		if r >= '0' && r <= '9' && digits == i {
			digits++
		}
		b.WriteRune(r)
	}
	return b.String()
}

// startsEntity says whether s (what follows an &) would make an HTML
// entity: a name or number, then a semicolon.
func startsEntity(s string) bool {
	name := strings.TrimLeft(strings.TrimPrefix(s, "#"), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	return len(name) < len(s) && strings.HasPrefix(name, ";")
}
