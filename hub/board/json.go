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

// appendJSON appends the op as MarshalJSON encodes it. Its keys are in
// sorted order, as the map this used to be encoded from put them.
func (o Op) appendJSON(b []byte) []byte {
	b = append(b, '{')
	kind := func(b []byte) []byte {
		return AppendJSONString(appendJSONField(b, "kind"), o.Kind)
	}
	cardID := func(b []byte) []byte {
		return AppendJSONString(appendJSONField(b, "cardId"), o.CardID)
	}
	switch o.Kind {
	case KindCardAdd:
		b = appendJSONField(b, "card")
		switch {
		case o.Card == nil:
			b = append(b, "null"...)
		case o.hidden:
			b = append(b, `{"hidden":true,"id":`...)
			b = AppendJSONString(b, o.Card.ID)
			b = appendJSONOptString(append(b, `,"level":`...), o.Card.Level)
			b = appendJSONOptString(append(b, `,"stage":`...), o.Card.Stage)
			b = append(b, '}')
		default: // a CardInput, in its fields' order
			b = AppendJSONString(append(b, `{"id":`...), o.Card.ID)
			b = AppendJSONString(append(b, `,"text":`...), o.Card.Text)
			b = appendJSONOptString(append(b, `,"stage":`...), o.Card.Stage)
			b = appendJSONOptString(append(b, `,"level":`...), o.Card.Level)
			b = append(b, '}')
		}
		b = kind(b)
	case KindCardEdit:
		b = cardID(b)
		if o.hidden {
			b = append(appendJSONField(b, "hidden"), "true"...)
			b = kind(b)
		} else {
			b = kind(b)
			b = appendJSONOptString(appendJSONField(b, "text"), o.Text)
		}
	case KindCardMove:
		b = cardID(b)
		b = appendJSONOptInt(appendJSONField(b, "index"), o.Index)
		b = kind(b)
		b = appendJSONOptString(appendJSONField(b, "level"), o.Level)
		b = appendJSONOptString(appendJSONField(b, "stage"), o.Stage)
	case KindCardDelete:
		b = kind(cardID(b))
	case KindCardVote:
		b = cardID(b)
		b = appendJSONOptInt(appendJSONField(b, "delta"), o.Delta)
		b = kind(b)
	case KindCardAgree:
		b = appendJSONOptBool(appendJSONField(b, "agreed"), o.Agreed)
		b = kind(cardID(b))
	case KindStageAgree:
		b = kind(b)
		b = appendJSONOptString(appendJSONField(b, "level"), o.Level)
		b = appendJSONOptString(appendJSONField(b, "note"), o.Note)
		b = appendJSONOptString(appendJSONField(b, "stage"), o.Stage)
	case KindConsentSet:
		b = AppendJSONString(appendJSONField(b, "answer"), o.Answer)
		b = kind(b)
		b = AppendJSONString(appendJSONField(b, "previous"), o.Previous)
		b = appendJSONOptString(appendJSONField(b, "stage"), o.Stage)
	case KindPhaseSet:
		b = kind(b)
		b = AppendJSONString(appendJSONField(b, "phase"), o.Phase)
	case KindFocusSet:
		b = kind(b)
		b = appendJSONOptString(appendJSONField(b, "stage"), o.Stage)
	case KindTimerSet:
		b = kind(b)
		b = appendJSONOptInt(appendJSONField(b, "seconds"), o.Seconds)
		b = appendJSONField(b, "timerEndsAt")
		if o.TimerEndsAt == nil {
			b = append(b, "null"...)
		} else {
			b = appendJSONTime(b, *o.TimerEndsAt)
		}
	case KindVotesSet:
		b = appendJSONOptInt(appendJSONField(b, "budget"), o.Budget)
		b = kind(b)
	case KindParticipantRemove:
		b = kind(b)
		b = AppendJSONString(appendJSONField(b, "participantId"), o.ParticipantID)
		b = appendJSONOptBool(appendJSONField(b, "removeCards"), o.RemoveCards)
	default:
		b = kind(b)
	}
	return append(b, '}')
}

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
	b = AppendJSONString(append(b, `,"by":`...), v.By)
	b = AppendJSONString(append(b, `,"byRole":`...), string(v.ByRole))
	b = appendJSONTime(append(b, `,"at":`...), v.At)
	b = v.Op.appendJSON(append(b, `,"op":`...))
	if len(v.Revealed) > 0 {
		b = append(b, `,"revealed":`...)
		b = append(b, mustMarshal(v.Revealed)...)
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
