package board

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Hand-written JSON for what is encoded once per op: the op frame every
// member receives, the entry the log keeps and the ack. encoding/json
// spent about 3 µs and 19 allocations on one op frame, most of them
// building and sorting the map Op.MarshalJSON used to return and scanning
// its output again. These write the same bytes encoding/json would, which
// json_test.go checks against it, field for field and by fuzzing.

// jsonSizeHint is about the size of an entry or op frame with these ids
// and op: enough that most are encoded in one allocation.
func JSONSizeHint(id, by string, o *Op) int {
	n := 200 + len(id) + len(by) + len(o.CardID) + len(o.ParticipantID)
	if o.Card != nil {
		n += len(o.Card.ID) + len(o.Card.Text)
	}
	if o.Text != nil {
		n += len(*o.Text)
	}
	if o.Note != nil {
		n += len(*o.Note)
	}
	return n
}

// appendJSONString appends s as a JSON string. Strings of plain ASCII,
// which ids, roles, kinds and most text are, are copied as they are;
// anything else is left to encoding/json, so that escaping (of <, >, &,
// control characters, U+2028 and U+2029, and invalid UTF-8) is exactly its.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONTime appends t as time.Time's MarshalJSON does, for the years
// it accepts (0 to 9999; times here come from the server's clock).
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONField appends `,"key":` (without the comma for the first
// field, when b ends in '{').
func appendJSONField(b []byte, key string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendJSONOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return AppendJSONString(b, *s)
}

func appendJSONOptInt(b []byte, n *int) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(*n), 10)
}

func appendJSONOptBool(b []byte, v *bool) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendBool(b, *v)
}

// MarshalJSON writes only the fields that belong to the op's kind, with
// explicit nulls where the contract gives null a meaning (the tray, no focus,
// no agreed level, a stopped timer).
func (o Op) MarshalJSON() ([]byte, error) { return o.appendJSON(nil), nil }

// appendJSON appends the op as MarshalJSON encodes it: its kind's fields
// (see kind.fields), keys in sorted order. An op of no known kind is its
// kind alone.
func (o Op) appendJSON(b []byte) []byte {
	fields := kindOnly
	if k := kinds[o.Kind]; k != nil {
		switch {
		case o.ballot && k.ballotJSON != nil && o.hushed:
		case o.ballot && k.ballotJSON != nil:
			fields = k.ballotJSON
		case o.hidden && k.hiddenJSON != nil:
			fields = k.hiddenJSON
		default:
			fields = k.json
		}
	}
	b = append(b, '{')
	for _, f := range fields {
		b = f.value(appendJSONField(b, f.name), o)
	}
	return append(b, '}')
}

// kindOnly is an op of no known kind, or a hushed ballot: its kind alone.
var kindOnly = []field{kindField}

// The fields op kinds are made of, as they are written.
var (
	fCard = field{"card", func(b []byte, o Op) []byte {
		if o.Card == nil {
			return append(b, "null"...)
		}
		// A CardInput, in its fields' order.
		b = AppendJSONString(append(b, `{"id":`...), o.Card.ID)
		b = AppendJSONString(append(b, `,"text":`...), o.Card.Text)
		b = appendJSONOptString(append(b, `,"stage":`...), o.Card.Stage)
		b = appendJSONOptString(append(b, `,"level":`...), o.Card.Level)
		return append(b, '}')
	}}
	// fHiddenCard is a new card without its text.
	fHiddenCard = field{"card", func(b []byte, o Op) []byte {
		if o.Card == nil {
			return append(b, "null"...)
		}
		b = AppendJSONString(append(b, `{"hidden":true,"id":`...), o.Card.ID)
		b = appendJSONOptString(append(b, `,"level":`...), o.Card.Level)
		b = appendJSONOptString(append(b, `,"stage":`...), o.Card.Stage)
		return append(b, '}')
	}}
	fHiddenTrue    = field{"hidden", func(b []byte, _ Op) []byte { return append(b, "true"...) }}
	fCardID        = field{"cardId", func(b []byte, o Op) []byte { return AppendJSONString(b, o.CardID) }}
	fText          = field{"text", func(b []byte, o Op) []byte { return appendJSONOptString(b, o.Text) }}
	fStage         = field{"stage", func(b []byte, o Op) []byte { return appendJSONOptString(b, o.Stage) }}
	fLevel         = field{"level", func(b []byte, o Op) []byte { return appendJSONOptString(b, o.Level) }}
	fIndex         = field{"index", func(b []byte, o Op) []byte { return appendJSONOptInt(b, o.Index) }}
	fDelta         = field{"delta", func(b []byte, o Op) []byte { return appendJSONOptInt(b, o.Delta) }}
	fAgreed        = field{"agreed", func(b []byte, o Op) []byte { return appendJSONOptBool(b, o.Agreed) }}
	fNote          = field{"note", func(b []byte, o Op) []byte { return appendJSONOptString(b, o.Note) }}
	fAnswer        = field{"answer", func(b []byte, o Op) []byte { return AppendJSONString(b, o.Answer) }}
	fPrevious      = field{"previous", func(b []byte, o Op) []byte { return AppendJSONString(b, o.Previous) }}
	fPhase         = field{"phase", func(b []byte, o Op) []byte { return AppendJSONString(b, o.Phase) }}
	fSeconds       = field{"seconds", func(b []byte, o Op) []byte { return appendJSONOptInt(b, o.Seconds) }}
	fBudget        = field{"budget", func(b []byte, o Op) []byte { return appendJSONOptInt(b, o.Budget) }}
	fParticipantID = field{"participantId", func(b []byte, o Op) []byte { return AppendJSONString(b, o.ParticipantID) }}
	fRemoveCards   = field{"removeCards", func(b []byte, o Op) []byte { return appendJSONOptBool(b, o.RemoveCards) }}
	fShown         = field{"shown", func(b []byte, o Op) []byte { return appendJSONOptBool(b, o.Shown) }}
	fOpen          = field{"open", func(b []byte, o Op) []byte { return appendJSONOptBool(b, o.Open) }}
	fRequired      = field{"required", func(b []byte, o Op) []byte { return appendJSONOptBool(b, o.Required) }}
	fTimerEndsAt   = field{"timerEndsAt", func(b []byte, o Op) []byte {
		if o.TimerEndsAt == nil {
			return append(b, "null"...)
		}
		return appendJSONTime(b, *o.TimerEndsAt)
	}}
)

// MarshalJSON encodes the entry as the log keeps it.
func (e Entry) MarshalJSON() ([]byte, error) { return e.AppendJSON(nil), nil }

// Encode returns the entry as the log keeps it, in one allocation for most
// entries. Both stores write entries with it (or with AppendJSONTail) and
// read them with DecodeEntry, so the format has this one home.
func (e *Entry) Encode() []byte {
	return e.AppendJSON(make([]byte, 0, JSONSizeHint(e.ID, e.By, &e.Op)+len(e.Owner)+len(e.Epoch)))
}

// AppendJSON appends the entry in its fields' order, leaving out those
// tagged omitempty that are empty: `{"v":` and the version, then
// AppendJSONTail.
func (e *Entry) AppendJSON(b []byte) []byte {
	b = strconv.AppendInt(append(b, `{"v":`...), e.V, 10)
	return e.AppendJSONTail(b)
}

// AppendJSONTail appends the entry's JSON after its version: a store that
// numbers entries itself (the Redis append script) writes `{"v":` and the
// version in front of it.
func (e *Entry) AppendJSONTail(b []byte) []byte {
	b = AppendJSONString(append(b, `,"id":`...), e.ID)
	b = AppendJSONString(append(b, `,"by":`...), e.By)
	b = AppendJSONString(append(b, `,"byRole":`...), string(e.ByRole))
	b = appendJSONTime(append(b, `,"at":`...), e.At)
	b = e.Op.appendJSON(append(b, `,"op":`...))
	if e.Private {
		b = append(b, `,"private":true`...)
	}
	if e.Hushed {
		b = append(b, `,"hushed":true`...)
	}
	if len(e.Counts) > 0 {
		b = append(append(b, `,"counts":`...), mustMarshal(e.Counts)...)
	}
	if e.Owner != "" {
		b = AppendJSONString(append(b, `,"owner":`...), e.Owner)
	}
	if e.Epoch != "" {
		b = AppendJSONString(append(b, `,"epoch":`...), e.Epoch)
	}
	return append(b, '}')
}

// DecodeEntry reads an entry written by Encode or AppendJSON.
func DecodeEntry(data []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return Entry{}, fmt.Errorf("decode entry: %w", err)
	}
	return e, nil
}

// MarshalJSON encodes the op as one recipient receives it.
func (v OpView) MarshalJSON() ([]byte, error) { return v.appendJSON(nil), nil }

// appendJSON appends the view in its fields' order. Revealed cards come
// only with the op that reveals them, once per workshop; encoding/json
// writes those.
func (v *OpView) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if v.T != "" {
		b = AppendJSONString(append(b, `"t":`...), v.T)
		b = append(b, ',')
	}
	b = strconv.AppendInt(append(b, `"v":`...), v.V, 10)
	b = AppendJSONString(append(b, `,"id":`...), v.ID)
	if v.By != "" {
		b = AppendJSONString(append(b, `,"by":`...), v.By)
	}
	b = AppendJSONString(append(b, `,"byRole":`...), string(v.ByRole))
	b = appendJSONTime(append(b, `,"at":`...), v.At)
	b = v.Op.appendJSON(append(b, `,"op":`...))
	// What a reveal or a consent answer brings comes rarely, or is small:
	// encoding/json writes it.
	if len(v.Revealed) > 0 {
		b = append(append(b, `,"revealed":`...), mustMarshal(v.Revealed)...)
	}
	if len(v.Votes) > 0 {
		b = append(append(b, `,"votes":`...), mustMarshal(v.Votes)...)
	}
	if len(v.VotesByRole) > 0 {
		b = append(append(b, `,"votesByRole":`...), mustMarshal(v.VotesByRole)...)
	}
	if len(v.Consent) > 0 {
		b = append(append(b, `,"consent":`...), mustMarshal(v.Consent)...)
	}
	if len(v.Counts) > 0 {
		b = append(append(b, `,"counts":`...), mustMarshal(v.Counts)...)
	}
	return append(b, '}')
}

// mustMarshal encodes what only plain structs make up; failing is a bug.
func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("board: encode: " + err.Error())
	}
	return b
}
