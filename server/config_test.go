package main

import (
	"io"
	"testing"
)

// TestMaxParticipantsSetting reads the workshop capacity from its flag
// and its environment variable, and refuses what is not a count.
func TestMaxParticipantsSetting(t *testing.T) {
	env := func(vals map[string]string) func(string) string { return func(k string) string { return vals[k] } }
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want int
		bad  bool
	}{
		{nil, nil, 500, false},
		{nil, map[string]string{"MAX_PARTICIPANTS": "40"}, 40, false},
		{[]string{"-max-participants", "12"}, map[string]string{"MAX_PARTICIPANTS": "40"}, 12, false},
		{[]string{"-max-participants", "0"}, nil, 0, true},
		{nil, map[string]string{"MAX_PARTICIPANTS": "many"}, 0, true},
	} {
		c, err := parseConfig(tc.args, env(tc.env), io.Discard)
		if tc.bad != (err != nil) || (!tc.bad && c.maxParticipants != tc.want) {
			t.Errorf("args %v env %v: got %d, %v; want %d (refused: %v)", tc.args, tc.env, c.maxParticipants, err, tc.want, tc.bad)
		}
	}
}
