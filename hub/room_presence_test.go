package hub

import (
	"encoding/json"
	"testing"
	"time"
)

// TestPresenceCoalesced: when many join at once, members are not sent the
// whole list once per join, and the last list they get has everyone.
func TestPresenceCoalesced(t *testing.T) {
	h, w, _, first := openWorkshop(t, openTestEmbedded(t), RoleStaff)
	const joins = 40
	start := time.Now()
	for range joins {
		if _, err := h.Join(t.Context(), w.Code, JoinRequest{Role: RoleServiceUser}, newInbox()); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)

	online := func(frame []byte) int {
		var p struct {
			People []struct{ Online bool } `json:"people"`
		}
		json.Unmarshal(frame, &p)
		n := 0
		for _, person := range p.People {
			if person.Online {
				n++
			}
		}
		return n
	}
	var presences [][]byte
	waitUntil(t, func() bool {
		first.mu.Lock()
		defer first.mu.Unlock()
		presences = presences[:0]
		for _, f := range first.frames {
			var h struct{ T string }
			json.Unmarshal(f, &h)
			if h.T == "presence" {
				presences = append(presences, f)
			}
		}
		return len(presences) > 0 && online(presences[len(presences)-1]) == joins+1
	})
	// One frame at once, then at most one per presenceGap.
	if most := 2 + int(took/presenceGap); len(presences) > most {
		t.Fatalf("%d presence frames for %d joins in %v, want at most %d", len(presences), joins, took, most)
	}
}
