package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// wellFormedOp says whether frame is an op the server could accept: an
// object with t "op", a string id, and an op of a known kind whose
// fields have the right types and whose stage, if any, exists.
func wellFormedOp(frame []byte) bool {
	var f struct {
		T  string `json:"t"`
		ID string `json:"id"`
		Op *struct {
			Kind   string `json:"kind"`
			CardID string `json:"cardId"`
			Delta  *int   `json:"delta"`
			Stage  string `json:"stage"`
			Card   *struct {
				ID, Text, Stage, Level string
			} `json:"card"`
		} `json:"op"`
	}
	if json.Unmarshal(frame, &f) != nil || f.T != "op" || f.ID == "" || f.Op == nil {
		return false
	}
	switch f.Op.Kind {
	case "card.add":
		return f.Op.Card != nil && f.Op.Card.Text != "" && slices.Contains(stageIDs, f.Op.Card.Stage)
	case "card.move":
		return f.Op.CardID != "" && slices.Contains(stageIDs, f.Op.Stage)
	case "card.edit", "card.delete":
		return f.Op.CardID != ""
	case "card.vote":
		return f.Op.CardID != "" && f.Op.Delta != nil
	}
	return false
}

func TestMalformedFramesAreWhatTheySay(t *testing.T) {
	h := &honestPhone{idx: 1}
	for range 2*honestCards + 4 {
		if frame := h.next(); !wellFormedOp(frame) {
			t.Fatalf("the checker refuses an honest op: %s", frame)
		}
	}
	for _, m := range malformedFrames {
		t.Run(m.name, func(t *testing.T) {
			frame := m.frame()
			if got := json.Valid(frame); got != m.json {
				t.Errorf("valid JSON: got %v, want %v: %.80s", got, m.json, frame)
			}
			if wellFormedOp(frame) {
				t.Errorf("got a well-formed op, want a malformed frame: %.80s", frame)
			}
			if len(frame) > serverMaxFrame {
				t.Errorf("got %d bytes, want at most %d: a malformed frame must not also be oversized", len(frame), serverMaxFrame)
			}
		})
	}
}

func TestOversizedFramesPassTheLimit(t *testing.T) {
	op := oversizedOp(serverMaxFrame + 1)
	join := oversizedJoin("ABCDEF", serverMaxFrame+1)
	for name, frame := range map[string][]byte{"op": op, "join": join} {
		if len(frame) <= serverMaxFrame {
			t.Errorf("%s: got %d bytes, want more than %d", name, len(frame), serverMaxFrame)
		}
		if !json.Valid(frame) {
			t.Errorf("%s: not valid JSON: the frame must be refused for its size alone", name)
		}
	}
	if !wellFormedOp(op) {
		t.Errorf("the oversized op is not a well-formed op: it must be refused for its size alone")
	}
	var f struct{ ID string }
	json.Unmarshal(op, &f)
	if !isAttackID(f.ID) {
		t.Errorf("oversized op id %q: want the attack prefix, so that an honest phone spots it if applied", f.ID)
	}
}

func TestAttackIDsAndCodes(t *testing.T) {
	id := attackID()
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' || !isAttackID(id) {
		t.Errorf("attack id %q: want a UUID shape with the attack prefix", id)
	}
	if isAttackID(opID(t0)) {
		t.Errorf("an honest op id is taken for an attack's")
	}
	for range 100 {
		c := randomCode()
		if len(c) != 6 || strings.Trim(c, codeAlphabet) != "" {
			t.Fatalf("random code %q: want 6 characters of %s", c, codeAlphabet)
		}
	}
}

func TestFindLost(t *testing.T) {
	// Versions 11..14 were acknowledged as a..d.
	acks := map[string]int64{"a": 11, "b": 12, "c": 13, "d": 14}
	logOf := func(base int64, ids ...string) *versionLog {
		l := newVersionLog(base)
		for i, id := range ids {
			if id != "" {
				l.record(base+1+int64(i), id)
			}
		}
		return l
	}
	tests := []struct {
		name      string
		log       *versionLog
		wantLost  []int64 // versions
		wantGaps  int
		wantFirst int64 // last(): the version to resume from
	}{
		{"all received", logOf(10, "a", "b", "c", "d"), nil, 0, 14},
		{"joined later: earlier ops came in the board", logOf(12, "c", "d"), nil, 0, 14},
		{"one missing", logOf(10, "a", "", "c", "d"), []int64{12}, 1, 11},
		{"the last missing", logOf(10, "a", "b", "c"), []int64{14}, 1, 13},
		{"another op at a version", logOf(10, "a", "b", "x", "d"), []int64{13}, 0, 14},
		{"a gap the board reload covers", func() *versionLog {
			l := logOf(10, "a")
			l.reload(13)
			l.record(14, "d")
			return l
		}(), nil, 0, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, l := range findLost(acks, []*versionLog{tt.log}) {
				got = append(got, l.v)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.wantLost) {
				t.Errorf("lost versions: got %v, want %v", got, tt.wantLost)
			}
			if g := gaps([]*versionLog{tt.log}, 14); g != tt.wantGaps {
				t.Errorf("gaps: got %d, want %d", g, tt.wantGaps)
			}
			if l := tt.log.last(); l != tt.wantFirst {
				t.Errorf("last: got %d, want %d", l, tt.wantFirst)
			}
		})
	}
}

func TestTallyListsLargestFirst(t *testing.T) {
	var ty tally
	for _, k := range []string{"full", "welcome", "full", "http 429", "full", "welcome"} {
		ty.add(k)
	}
	if got, want := ty.String(), "full 3, welcome 2, http 429 1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := ty.total(); got != 6 {
		t.Errorf("total: got %d, want 6", got)
	}
}
