package client

import (
	"errors"
	"testing"

	"github.com/withboard/withboard/hub/board"
)

// TestDecodeFrame: what a client sends is read as the contract names it,
// and a frame that cannot be read still yields its type and op id for
// the refusal.
func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name, data    string
		wantErr       bool
		wantT, wantID string
		wantKind      string // "" when no op is wanted
		wantCode      string
		wantSince     int64 // -1: no since
	}{
		{name: "join", data: `{"t":"join","code":"k7p3qx","name":"Sam","role":"serviceUser","since":4,"epoch":"e"}`,
			wantT: "join", wantCode: "k7p3qx", wantSince: 4},
		{name: "join without since", data: `{"t":"join","code":"K7P3QX"}`, wantT: "join", wantCode: "K7P3QX", wantSince: -1},
		{name: "op", data: `{"t":"op","id":"a1","op":{"kind":"card.vote","cardId":"c","delta":1}}`,
			wantT: "op", wantID: "a1", wantKind: board.KindCardVote, wantSince: -1},
		{name: "unknown fields are ignored", data: `{"t":"op","id":"a2","extra":[1,{}],"op":{"kind":"focus.set","stage":null,"x":1}}`,
			wantT: "op", wantID: "a2", wantKind: board.KindFocusSet, wantSince: -1},
		{name: "unknown type", data: `{"t":"dance","id":"a3"}`, wantT: "dance", wantID: "a3", wantSince: -1},
		{name: "null", data: `null`, wantSince: -1},
		{name: "wrong type in op", data: `{"t":"op","id":"a4","op":{"kind":"card.vote","delta":"one"}}`,
			wantErr: true, wantT: "op", wantID: "a4", wantSince: -1},
		{name: "op not an object", data: `{"t":"op","id":"a5","op":"card.add"}`, wantErr: true, wantT: "op", wantID: "a5", wantSince: -1},
		{name: "id not a string", data: `{"t":"op","id":5,"op":{}}`, wantErr: true, wantT: "op", wantSince: -1},
		{name: "since not a number", data: `{"t":"join","code":"X","since":"4"}`, wantErr: true, wantT: "join", wantSince: -1},
		{name: "truncated", data: `{"t":"op","id":"a6",`, wantErr: true, wantSince: -1},
		{name: "array", data: `[{"t":"op"}]`, wantErr: true, wantSince: -1},
		{name: "empty", data: ``, wantErr: true, wantSince: -1},
		{name: "number too large", data: `{"t":"op","id":"a7","op":{"kind":"card.move","index":1e30}}`,
			wantErr: true, wantT: "op", wantID: "a7", wantSince: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decodeFrame([]byte(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, errMalformed) {
				t.Errorf("error %v: want errMalformed", err)
			}
			if f.T != tt.wantT || f.ID != tt.wantID || f.Code != tt.wantCode {
				t.Errorf("got t=%q id=%q code=%q, want t=%q id=%q code=%q", f.T, f.ID, f.Code, tt.wantT, tt.wantID, tt.wantCode)
			}
			switch {
			case tt.wantKind == "" && f.Op != nil && !tt.wantErr:
				t.Errorf("op: got %+v, want none", f.Op)
			case tt.wantKind != "" && (f.Op == nil || f.Op.Kind != tt.wantKind):
				t.Errorf("op: got %+v, want kind %s", f.Op, tt.wantKind)
			}
			if got := f.joinRequest().Since; (tt.wantSince < 0) != (got == nil) || (got != nil && *got != tt.wantSince) {
				t.Errorf("since: got %v, want %d", got, tt.wantSince)
			}
		})
	}
}

// TestJoinRequest: a join frame's fields reach the hub as sent.
func TestJoinRequest(t *testing.T) {
	f, err := decodeFrame([]byte(`{"t":"join","code":"C","name":"Ana","role":"staff","key":"k","token":"tok","since":0,"sinceId":"op1","epoch":"ep"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := f.joinRequest()
	if r.Name != "Ana" || r.Role != board.RoleStaff || r.Key != "k" || r.Token != "tok" || r.Epoch != "ep" || r.SinceID != "op1" || r.Since == nil || *r.Since != 0 {
		t.Fatalf("got %+v, want every field of the frame", r)
	}
}
