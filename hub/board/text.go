package board

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Text limits, in Unicode code points after trimming white space.
const (
	maxCardText = 280
	maxName     = 40
	maxNote     = 1000
	maxTitle    = 120
)

// cleanText trims white space and checks length and control characters.
// Line breaks are allowed only where multiline is true. It returns the
// trimmed text, or a plain-language refusal naming what the text is.
func cleanText(s, what string, min, max int, multiline bool) (string, *Error) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	n := utf8.RuneCountInString(s)
	if n < min {
		return "", Refuse(CodeInvalid, "%s is empty.", what)
	}
	if n > max {
		return "", Refuse(CodeInvalid, "%s is too long: at most %d characters.", what, max)
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) {
			return "", Refuse(CodeInvalid, "%s has a character that cannot be shown.", what)
		}
	}
	return s, nil
}

// CleanName checks a participant's display name (empty means anonymous).
func CleanName(s string) (string, *Error) { return cleanText(s, "Name", 0, maxName, false) }

// CleanTitle checks a workshop title.
func CleanTitle(s string) (string, *Error) { return cleanText(s, "The title", 1, maxTitle, false) }

func IsUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

func knownStage(s string) bool { return indexOf(Stages, s) >= 0 }
func knownLevel(s string) bool { return indexOf(Levels, s) >= 0 }

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
