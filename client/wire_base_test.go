package client

import "testing"

// TestDecodeFrameBase: an op frame's base reaches the room as sent; one
// left out, null or below 0 is none (-1), and one of the wrong type makes
// the frame unreadable.
func TestDecodeFrameBase(t *testing.T) {
	tests := []struct {
		name, data string
		wantErr    bool
		want       int64
	}{
		{"base", `{"t":"op","id":"a1","base":41,"op":{"kind":"focus.set","stage":null}}`, false, 41},
		{"base 0", `{"t":"op","id":"a1","base":0,"op":{"kind":"focus.set","stage":null}}`, false, 0},
		{"no base (v1)", `{"t":"op","id":"a1","op":{"kind":"focus.set","stage":null}}`, false, -1},
		{"null base", `{"t":"op","id":"a1","base":null,"op":{"kind":"focus.set","stage":null}}`, false, -1},
		{"negative base", `{"t":"op","id":"a1","base":-7,"op":{"kind":"focus.set","stage":null}}`, false, -1},
		{"base not a number", `{"t":"op","id":"a1","base":"41","op":{"kind":"focus.set","stage":null}}`, true, -1},
		{"base not whole", `{"t":"op","id":"a1","base":4.5,"op":{"kind":"focus.set","stage":null}}`, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decodeFrame([]byte(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tt.wantErr)
			}
			if f.ID != "a1" {
				t.Errorf("id: got %q, want a1", f.ID)
			}
			if got := f.base(); got != tt.want {
				t.Errorf("base: got %d, want %d", got, tt.want)
			}
		})
	}
}
