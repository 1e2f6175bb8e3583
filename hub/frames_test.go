package hub

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestAckFrameMatchesEncodingJSON checks the hand-written ack against
// encoding/json, for ids that need no escaping and ids that do.
func TestAckFrameMatchesEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		id string
		v  int64
	}{
		{"0b9f3c1e-6a52-4d0e-9a57-3f1f7c1a2b3c", 1},
		{"quote\" <and> & \u2028 é", 1 << 40},
		{"", 0},
	} {
		want, err := json.Marshal(struct {
			T  string `json:"t"`
			ID string `json:"id"`
			V  int64  `json:"v"`
		}{"ack", tc.id, tc.v})
		if err != nil {
			t.Fatal(err)
		}
		if got := AckFrame(tc.id, tc.v); !bytes.Equal(got, want) {
			t.Errorf("AckFrame(%q, %d):\n got %s\nwant %s", tc.id, tc.v, got, want)
		}
	}
}
