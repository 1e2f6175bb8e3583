package hub

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// TestPresenceCoalesced: when many join at once, members are not sent the
// whole list once per join, and the last list they get has everyone.
func TestPresenceCoalesced(t *testing.T) {
	h, w, _, first := openWorkshop(t, openTestEmbedded(t), board.RoleStaff)
	const joins = 40
	start := time.Now()
	for range joins {
		if _, err := h.Join(t.Context(), w.Code, JoinRequest{Role: board.RoleServiceUser}, newInbox()); err != nil {
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

// presenceLog is a store that notes when each workshop records who is
// online.
type presenceLog struct {
	Store
	mu    sync.Mutex
	calls map[string][]time.Time // workshop id -> SetOnline calls
}

func (p *presenceLog) SetOnline(ctx context.Context, workshopID, instance string, ids []string, ttl time.Duration) error {
	p.mu.Lock()
	if p.calls == nil {
		p.calls = map[string][]time.Time{}
	}
	p.calls[workshopID] = append(p.calls[workshopID], time.Now())
	p.mu.Unlock()
	return p.Store.SetOnline(ctx, workshopID, instance, ids, ttl)
}

func (p *presenceLog) times(workshopID string) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls[workshopID])
}

// TestJoinBurstRecordsPresenceOncePerFrame: when many join at once, the
// room records who is online with each presence frame, not with each join,
// and the record ends up with everyone.
func TestJoinBurstRecordsPresenceOncePerFrame(t *testing.T) {
	store := &presenceLog{Store: openTestEmbedded(t)}
	h, w, _, _ := openWorkshop(t, store, board.RoleStaff)
	const joins = 40
	start := time.Now()
	for range joins {
		if _, err := h.Join(t.Context(), w.Code, JoinRequest{Role: board.RoleServiceUser}, newInbox()); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, func() bool {
		online, err := store.Online(t.Context(), w.ID)
		return err == nil && len(online) == joins+1
	})
	took := time.Since(start)
	// One at once, then at most one per presenceGap, and a heartbeat.
	if n, most := len(store.times(w.ID)), 3+int(took/presenceGap); n > most {
		t.Fatalf("%d presence records for %d joins in %v, want at most %d", n, joins, took, most)
	}
}

// TestRoomsLoadedTogetherBeatApart: rooms that load at the same moment, as
// after a restart, renew their presence records at different moments.
func TestRoomsLoadedTogetherBeatApart(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a whole presenceEvery (5 s): slow; run without -short")
	}
	t.Parallel()
	store := &presenceLog{Store: openTestEmbedded(t)}
	h := newTestHub(t, store)
	const rooms = 20
	var ids []string
	for range rooms {
		w, _, err := h.CreateWorkshop(t.Context(), "Together")
		if err != nil {
			t.Fatal(err)
		}
		joinWelcomed(t, h, w.Code, board.RoleStaff)
		ids = append(ids, w.ID)
	}
	// Each room renews its record every presenceEvery; the joins' own
	// records come before this window.
	from := time.Now().Add(presenceEvery / 10)
	to := from.Add(presenceEvery + presenceEvery/10)
	time.Sleep(time.Until(to))
	var beats []time.Time // each room's first in the window
	for _, id := range ids {
		times := store.times(id)
		i := slices.IndexFunc(times, func(at time.Time) bool { return !at.Before(from) && at.Before(to) })
		if i < 0 {
			t.Fatalf("a room did not renew its presence record in %v", to.Sub(from))
		}
		beats = append(beats, times[i])
	}
	first, last := slices.MinFunc(beats, time.Time.Compare), slices.MaxFunc(beats, time.Time.Compare)
	if spread := last.Sub(first); spread < presenceEvery/4 {
		t.Fatalf("%d rooms loaded together renewed presence within %v of each other, want them spread over %v", rooms, spread, presenceEvery)
	}
}
