package main

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/withboard/withboard/hub/board"
)

// csvHeader is the contract's header row.
var csvHeader = []string{"stage", "level", "text", "byRole", "votes", "agreed", "stageAgreedLevel"}

// renderCSV writes one row per card, in board order (tray last): UTF-8
// with a byte order mark, so that spreadsheets read it as UTF-8, and
// quoted where a cell holds quotes, commas or line breaks. Text keeps its
// line breaks exactly as written (LF line endings throughout).
func renderCSV(w io.Writer, x board.Export) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	agreed := map[string]string{}
	for _, s := range x.Board.Stages {
		if s.AgreedLevel != nil {
			agreed[s.ID] = *s.AgreedLevel
		}
	}
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, c := range x.Board.Cards {
		stage, level, text := deref(c.Stage), deref(c.Level), deref(c.Text)
		cw.Write([]string{stage, level, csvCell(text), string(c.ByRole), strconv.Itoa(c.VoteCount()), strconv.FormatBool(c.Agreed), agreed[stage]})
	}
	cw.Flush()
	return cw.Error()
}

// csvCell defuses formula injection: a spreadsheet would run a cell that
// begins with = + - or @, so such text gets a leading ' and is shown as
// text.
func csvCell(s string) string {
	if s != "" && strings.IndexByte("=+-@", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
