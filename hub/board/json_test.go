package board

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The hand-written encoders must write what encoding/json would. For an op
// the reference is the map of its kind's fields that Op.MarshalJSON used
// to build; for an entry and a view, encoding/json's own encoding of the
// same struct without its MarshalJSON method (plainEntry, plainOpView), so
// that a field added later is compared too.

// opFields is the reference encoding of an op: its kind's fields, as a map.
func opFields(o Op) map[string]any {
	m := map[string]any{"kind": o.Kind}
	secret := o.ballot && (o.Kind == KindCardVote || o.Kind == KindConsentSet)
	switch {
	case secret && o.hushed:
		return m
	case secret && o.Kind == KindConsentSet:
		m["stage"] = o.Stage
		return m
	}
	switch o.Kind {
	case KindCardAdd:
		m["card"] = o.Card
		if o.hidden && o.Card != nil {
			m["card"] = map[string]any{"id": o.Card.ID, "stage": o.Card.Stage, "level": o.Card.Level, "hidden": true}
		}
	case KindCardEdit:
		m["cardId"], m["text"] = o.CardID, o.Text
		if o.hidden {
			delete(m, "text")
			m["hidden"] = true
		}
	case KindCardMove:
		m["cardId"], m["stage"], m["level"], m["index"] = o.CardID, o.Stage, o.Level, o.Index
	case KindCardDelete:
		m["cardId"] = o.CardID
	case KindCardVote:
		m["cardId"], m["delta"] = o.CardID, o.Delta
	case KindCardAgree:
		m["cardId"], m["agreed"] = o.CardID, o.Agreed
	case KindStageAgree:
		m["stage"], m["level"], m["note"] = o.Stage, o.Level, o.Note
	case KindConsentSet:
		m["stage"], m["answer"], m["previous"] = o.Stage, o.Answer, o.Previous
	case KindPhaseSet:
		m["phase"] = o.Phase
	case KindFocusSet:
		m["stage"] = o.Stage
	case KindTimerSet:
		m["seconds"], m["timerEndsAt"] = o.Seconds, o.TimerEndsAt
	case KindVotesSet:
		m["budget"] = o.Budget
	case KindParticipantRemove:
		m["participantId"], m["removeCards"] = o.ParticipantID, o.RemoveCards
	case KindResultsSet:
		m["shown"] = o.Shown
	case KindJoinsSet:
		m["open"] = o.Open
	case KindApprovalSet:
		m["required"] = o.Required
	case KindCardApprove:
		m["cardId"] = o.CardID
	case KindConsentRound:
		m["stage"] = o.Stage
	case KindCellSort:
		m["stage"], m["level"] = o.Stage, o.Level
	}
	return m
}

type (
	plainEntry  Entry
	plainOpView OpView
)

var allKinds = []string{
	KindCardAdd, KindCardEdit, KindCardMove, KindCardDelete, KindCardVote, KindCardAgree, KindStageAgree,
	KindConsentSet, KindPhaseSet, KindFocusSet, KindTimerSet, KindVotesSet, KindParticipantRemove,
	KindResultsSet, KindJoinsSet, KindApprovalSet, KindCardApprove, KindConsentRound, KindCellSort, "", "card.fly",
}

// sameJSON checks that the hand-written encodings of an op, an entry
// holding it, views of it and its ack equal encoding/json's.
func sameJSON(t *testing.T, o Op, e Entry) {
	t.Helper()
	check := func(what string, got []byte, want any) {
		t.Helper()
		w, err := json.Marshal(want)
		if err != nil {
			t.Fatalf("%s: reference encoding: %v", what, err)
		}
		if !bytes.Equal(got, w) {
			t.Fatalf("%s of %#v:\n got %s\nwant %s", what, o, got, w)
		}
		if !json.Valid(got) {
			t.Fatalf("%s: invalid JSON %s", what, got)
		}
	}
	check("op", o.appendJSON(nil), opFields(o))
	e.Op = o
	check("entry", e.AppendJSON(nil), plainEntry(e))
	for mode := range 8 {
		for _, typ := range []string{"", "op"} {
			v := OpView{T: typ, V: e.V, ID: e.ID, By: e.By, ByRole: e.ByRole, At: e.At, Op: o}
			v.Op.hidden, v.Op.ballot, v.Op.hushed = mode&1 != 0, mode&2 != 0, mode&4 != 0
			if mode&2 != 0 {
				v.By = "" // a secret ballot
				v.Counts = map[string]int{"agree": 2, "unsure": 0, "disagree": 1}
			}
			if mode == 7 {
				v.Votes = map[string]int{"c1": 3, "<c2>": 0}
				v.VotesByRole = map[string]map[Role]int{"c1": {RoleStaff: 3}}
				v.Consent = map[string]map[string]int{"plan": {"agree": 1}}
			}
			check("view", v.appendJSON(nil), plainOpView(v))
		}
	}
	// Through encoding/json, the methods give the same bytes.
	if got, err := json.Marshal(e); err != nil || !bytes.Equal(got, e.AppendJSON(nil)) {
		t.Fatalf("json.Marshal(entry) = %s, %v; want %s", got, err, e.AppendJSON(nil))
	}
}

func TestJSONEncodersMatchEncodingJSON(t *testing.T) {
	s, l, text, note := "assess", "participation", "Ask people <first> & \"then\" decide", "Agreed: ✓ with the panel\u2028"
	zero, two, neg := 0, 2, -1
	yes, no := true, false
	ends := time.Date(2026, 11, 23, 14, 5, 6, 789000000, time.UTC)
	bad := string([]byte{'a', 0xff, 'b', 0x01})
	at := time.Date(2026, 11, 23, 14, 0, 0, 120000000, time.UTC)
	entries := []Entry{
		{V: 7, ID: "op-1", By: "person-1", ByRole: RoleServiceUser, At: at},
		{V: 1 << 40, ID: bad, By: "<script>", ByRole: RoleFacilitator, At: at.Add(time.Nanosecond), Private: true, Owner: "owner-1", Epoch: "epoch-1"},
		{V: 3, ID: "op-3", By: "person-3", ByRole: RoleStaff, At: at, Hushed: true, Counts: map[string]int{"agree": 1, "unsure": 0, "disagree": 0}},
		{At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))},
	}
	ops := []Op{{}}
	for _, k := range allKinds {
		ops = append(ops,
			Op{Kind: k},
			Op{Kind: k, Card: &CardInput{ID: "c1", Text: text}, CardID: "c2", Text: &text, Stage: &s, Level: &l, Index: &zero,
				Delta: &neg, Agreed: &yes, Note: &note, Answer: "yes", Phase: "private", Seconds: &two, Budget: &two,
				ParticipantID: "p1", RemoveCards: &no, TimerEndsAt: &ends, Previous: "no", Shown: &yes, Open: &no, Required: &yes},
			Op{Kind: k, Card: &CardInput{ID: bad, Text: bad, Stage: &s}, CardID: bad, Text: &bad, Note: &bad, Answer: bad, Previous: bad},
			// Each character escaped, alone in plain ASCII.
			Op{Kind: k, Card: &CardInput{ID: "a&b", Text: "a<b"}, CardID: "a>b", Answer: "a\\b", Phase: "a\"b", Previous: "a\tb", ParticipantID: "a\x7fb"},
		)
	}
	for _, o := range ops {
		for mode := range 8 {
			o.hidden, o.ballot, o.hushed = mode&1 != 0, mode&2 != 0, mode&4 != 0
			for _, e := range entries {
				sameJSON(t, o, e)
			}
		}
	}
}

// FuzzJSONEncoders compares the hand-written encoders with encoding/json
// for arbitrary text in every string and every kind.
func FuzzJSONEncoders(f *testing.F) {
	f.Add(uint8(2), "card-1", "Move it to Do", "assess", "é<&>\u2028", int64(3), int64(1_700_000_000_123), uint8(0))
	f.Add(uint8(0), "\x00", "\xff\xfe", "", "\"\\", int64(-1), int64(0), uint8(255))
	f.Fuzz(func(t *testing.T, kind uint8, id, text, stage, other string, n, ms int64, nils uint8) {
		k := allKinds[int(kind)%len(allKinds)]
		num := int(n)
		flag := n%2 == 0
		ends := time.UnixMilli(ms % 253402300799000).UTC() // years 1970 to 9999
		opt := func(bit uint8, s *string) *string {
			if nils&bit != 0 {
				return nil
			}
			return s
		}
		o := Op{Kind: k, Card: &CardInput{ID: id, Text: text, Stage: opt(1, &stage), Level: opt(2, &other)}, CardID: id,
			Text: opt(4, &text), Stage: opt(8, &stage), Level: opt(16, &other), Index: &num, Delta: &num, Agreed: &flag,
			Note: opt(32, &other), Answer: other, Phase: other, Seconds: &num, Budget: &num, ParticipantID: id,
			RemoveCards: &flag, TimerEndsAt: &ends, Previous: text, Shown: &flag, Open: &flag, Required: &flag,
			hidden: nils&64 != 0, ballot: n%3 == 0, hushed: n%5 == 0}
		if nils&128 != 0 {
			o.Card, o.Index, o.Delta, o.Agreed, o.Seconds, o.Budget, o.RemoveCards, o.TimerEndsAt = nil, nil, nil, nil, nil, nil, nil, nil
		}
		e := Entry{V: n, ID: id, By: other, ByRole: Role(stage), At: ends.Add(time.Duration(num % 1000)), Private: flag, Owner: text, Epoch: other}
		sameJSON(t, o, e)
	})
}
