package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseCFMessage(t *testing.T) {
	op := `{"t":"op","id":"0000002a-0000-8000-8000-000000000000","op":{"kind":"card.edit","cardId":"c","text":"a } and a \" and {"}}`
	tests := []struct {
		name string
		line string
		want cfMessage
	}{
		{"ping", `{}`, cfMessage{kind: cfPing}},
		{"connect reply", `{"id":1,"connect":{"client":"abc","version":"6.9.1","ping":25,"pong":true}}`, cfMessage{kind: cfReply, id: 1}},
		{"subscribe reply", `{"id":2,"subscribe":{"recoverable":true,"epoch":"XyZ","offset":17,"positioned":true}}`, cfMessage{kind: cfReply, id: 2, offset: 17}},
		{"publish reply", `{"id":4093,"publish":{}}`, cfMessage{kind: cfReply, id: 4093}},
		{"refused", `{"id":3,"error":{"code":103,"message":"permission denied"}}`, cfMessage{kind: cfReply, id: 3, code: []byte("103")}},
		{"publication", `{"push":{"channel":"room:7","pub":{"data":` + op + `,"info":{"user":"","client":"abc"},"offset":18}}}`,
			cfMessage{kind: cfPub, offset: 18, data: []byte(op)}},
		{"join push", `{"push":{"channel":"room:7","join":{"info":{"client":"abc"}}}}`, cfMessage{kind: cfOther}},
		{"garbage", `{"t":"op"}`, cfMessage{kind: cfOther}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseCFMessage([]byte(tt.line))
			if got.kind != tt.want.kind || got.id != tt.want.id || got.offset != tt.want.offset ||
				string(got.code) != string(tt.want.code) || string(got.data) != string(tt.want.data) {
				t.Errorf("got %+v (data %s, code %s), want %+v (data %s, code %s)",
					got, got.data, got.code, tt.want, tt.want.data, tt.want.code)
			}
		})
	}
}

func TestEachCFMessage(t *testing.T) {
	frame := "{\"id\":5,\"publish\":{}}\n{\"push\":{\"channel\":\"room:1\",\"pub\":{\"data\":{\"id\":\"x\"},\"offset\":3}}}\n{}\n"
	var kinds []int
	eachCFMessage([]byte(frame), func(m cfMessage) { kinds = append(kinds, m.kind) })
	want := []int{cfReply, cfPub, cfPing}
	if len(kinds) != len(want) {
		t.Fatalf("got kinds %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("got kinds %v, want %v", kinds, want)
		}
	}
}

func TestCFCommands(t *testing.T) {
	p := &phone{idx: 1, mix: &mix{add: 1}}
	op := p.add()
	pub := appendCFPublish(nil, 9, "room:3", op)
	var cmd struct {
		ID      uint32
		Publish struct {
			Channel string
			Data    struct{ T, ID string }
		}
	}
	if err := json.Unmarshal(pub, &cmd); err != nil {
		t.Fatalf("publish %s: %v", pub, err)
	}
	if cmd.ID != 9 || cmd.Publish.Channel != "room:3" || cmd.Publish.Data.T != "op" {
		t.Errorf("got %+v, want id 9 on room:3 with the op as data", cmd)
	}
	if at, ok := sentAt([]byte(cmd.Publish.Data.ID)); !ok || time.Since(at) > time.Minute {
		t.Errorf("op id %q: got send time %v, %v; want a recent one", cmd.Publish.Data.ID, at, ok)
	}

	join := appendCFJoin(nil, "room:3")
	lines := strings.Split(string(join), "\n")
	if len(lines) != 2 {
		t.Fatalf("join %q: got %d lines, want 2", join, len(lines))
	}
	for i, want := range []string{`"connect"`, `"subscribe":{"channel":"room:3"}`} {
		var v map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &v); err != nil || !strings.Contains(lines[i], want) {
			t.Errorf("line %d %q: err %v, want valid JSON with %s", i, lines[i], err, want)
		}
	}
}

func TestJSONObjectLen(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`{"a":1},"b"`, 7},
		{`{"a":{"b":[1,{"c":"}"}]}}x`, 25},
		{`{"a":"\"}"}`, 11},
		{`{"a":1`, 0},
		{`[1]`, 0},
		{``, 0},
	}
	for _, tt := range tests {
		if got := jsonObjectLen([]byte(tt.in)); got != tt.want {
			t.Errorf("jsonObjectLen(%q): got %d, want %d", tt.in, got, tt.want)
		}
	}
}
