package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// FuzzDecodeFrame feeds decodeFrame arbitrary frames. It must not panic; a
// frame it cannot read is errMalformed and yields only its type and id; an
// op it reads encodes to JSON that decodes to the same op (what the store
// and every replica rely on); and the nack naming its id is valid JSON
// carrying that id.
func FuzzDecodeFrame(f *testing.F) {
	for _, seed := range []string{
		`{"t":"join","code":"K7P3QX","name":"Sam","role":"serviceUser","key":"k","token":"t","since":0,"epoch":"e"}`,
		`{"t":"op","id":"4b0e6f5e-2d5f-4c1e-9a57-1b5f9c1f2a10","op":{"kind":"card.add","card":{"id":"6d1f6c1e-0f3a-4a5b-9e8d-7c6b5a4f3e2d","text":"Ask us first","stage":"plan","level":"conversation"}}}`,
		`{"t":"op","id":"a","op":{"kind":"card.move","cardId":"c","stage":null,"level":null,"index":2}}`,
		`{"t":"op","id":"b","op":{"kind":"card.vote","cardId":"c","delta":"one"}}`,
		`{"t":"op","id":"c","op":{"kind":"stage.agree","stage":"do","level":null,"note":"x"}}`,
		`{"t":"op","id":"d","op":{"kind":"timer.set","seconds":60,"timerEndsAt":"2025-01-01T00:00:00Z"}}`,
		`{"t":"op","id":"e","op":{"kind":"participant.remove","participantId":"p","removeCards":true}}`,
		`{"t":"dance"}`, `null`, `[]`, `{"t":"op",`, "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v is not errMalformed", err)
			}
			if fr.Op != nil || fr.Code != "" || fr.Since != nil || fr.Key != "" || fr.Token != "" {
				t.Fatalf("a malformed frame yielded more than its type and id: %+v", fr)
			}
		}
		nack := hub.NackFrame(fr.ID, &board.Error{Code: board.CodeInvalid, Message: "m"})
		var n struct{ ID string }
		if err := json.Unmarshal(nack, &n); err != nil || n.ID != fr.ID {
			t.Fatalf("nack %s: id %q (%v), want %q", nack, n.ID, err, fr.ID)
		}
		_ = fr.joinRequest()
		if fr.Op == nil {
			return
		}
		once, err := json.Marshal(fr.Op)
		if err != nil {
			t.Fatalf("encode op %+v: %v", fr.Op, err)
		}
		var back board.Op
		if err := json.Unmarshal(once, &back); err != nil {
			t.Fatalf("decode encoded op %s: %v", once, err)
		}
		twice, err := json.Marshal(back)
		if err != nil {
			t.Fatalf("encode op again: %v", err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("op does not survive encoding:\n once %s\ntwice %s", once, twice)
		}
	})
}
