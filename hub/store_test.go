package hub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// storeWait bounds how long a store test waits for news.
const storeWait = 5 * time.Second

func TestEmbeddedStoreConformance(t *testing.T) {
	testStoreConformance(t, func(t *testing.T) Store {
		s, err := OpenEmbedded(t.TempDir())
		if err != nil {
			t.Fatalf("open embedded store: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestRedisStoreConformance(t *testing.T) {
	url := redisURL(t)
	testStoreConformance(t, func(t *testing.T) Store { return openRedisStore(t, url) })
}

// testStoreConformance checks the behaviour every Store must share.
func testStoreConformance(t *testing.T, open func(t *testing.T) Store) {
	s := open(t)
	ctx := t.Context()

	t.Run("create and find by id and code", func(t *testing.T) {
		w := storeWorkshop(t, s)
		for _, ref := range []string{w.ID, w.Code} {
			got, err := s.Workshop(ctx, ref)
			if err != nil {
				t.Fatalf("Workshop(%q): %v", ref, err)
			}
			if got.ID != w.ID || got.Code != w.Code || got.Title != w.Title ||
				string(got.KeyHash) != string(w.KeyHash) || !got.CreatedAt.Equal(w.CreatedAt) {
				t.Errorf("Workshop(%q) = %+v, want %+v", ref, got, w)
			}
		}
		if _, err := s.Workshop(ctx, uuid.NewString()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Workshop(unknown id): got %v, want ErrNotFound", err)
		}
		h, err := s.Head(ctx, w.ID)
		if err != nil || h.V != 0 || h.Epoch == "" {
			t.Errorf("Head of a new workshop = %+v, %v; want version 0 and an epoch", h, err)
		}
	})

	t.Run("code taken", func(t *testing.T) {
		w := storeWorkshop(t, s)
		other := storeNewWorkshop()
		other.Code = w.Code
		if err := s.CreateWorkshop(ctx, other); !errors.Is(err, ErrCodeTaken) {
			t.Fatalf("CreateWorkshop with a code in use: got %v, want ErrCodeTaken", err)
		}
		if _, err := s.Workshop(ctx, other.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Workshop(refused id): got %v, want ErrNotFound", err)
		}
		if got, _ := s.Workshop(ctx, w.Code); got.ID != w.ID {
			t.Errorf("code %s names %q, want %q", w.Code, got.ID, w.ID)
		}
	})

	t.Run("participants", func(t *testing.T) {
		w := storeWorkshop(t, s)
		if list, err := s.Participants(ctx, w.ID); err != nil || len(list) != 0 {
			t.Fatalf("Participants of a new workshop = %v, %v; want none", list, err)
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		a := board.Participant{ID: uuid.NewString(), Name: "Sam", Role: board.RoleServiceUser, TokenHash: []byte{1, 2}, JoinedAt: now}
		b := board.Participant{ID: uuid.NewString(), Name: "", Role: board.RoleStaff, TokenHash: []byte{3}, JoinedAt: now}
		for _, p := range []board.Participant{a, b} {
			if err := s.PutParticipant(ctx, w.ID, p); err != nil {
				t.Fatalf("PutParticipant: %v", err)
			}
		}
		a.Name = "Sam R"
		if err := s.PutParticipant(ctx, w.ID, a); err != nil {
			t.Fatalf("PutParticipant (replace): %v", err)
		}
		list, err := s.Participants(ctx, w.ID)
		if err != nil {
			t.Fatalf("Participants: %v", err)
		}
		want := map[string]board.Participant{a.ID: a, b.ID: b}
		if len(list) != len(want) {
			t.Fatalf("got %d participants, want %d", len(list), len(want))
		}
		for _, p := range list {
			w := want[p.ID]
			if p.Name != w.Name || p.Role != w.Role || string(p.TokenHash) != string(w.TokenHash) || !p.JoinedAt.Equal(w.JoinedAt) {
				t.Errorf("participant %s = %+v, want %+v", p.ID, p, w)
			}
		}
		if err := s.PutParticipant(ctx, uuid.NewString(), a); !errors.Is(err, ErrNotFound) {
			t.Errorf("PutParticipant(unknown workshop): got %v, want ErrNotFound", err)
		}
		if _, err := s.Participants(ctx, uuid.NewString()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Participants(unknown workshop): got %v, want ErrNotFound", err)
		}
		if err := s.ForgetParticipants(ctx, w.ID, []string{a.ID, uuid.NewString()}); err != nil {
			t.Fatalf("ForgetParticipants: %v", err)
		}
		if list, err := s.Participants(ctx, w.ID); err != nil || len(list) != 1 || list[0].ID != b.ID {
			t.Errorf("after forgetting one of two: %v, %v; want only %s", list, err, b.ID)
		}
	})

	t.Run("append sequence", func(t *testing.T) {
		w := storeWorkshop(t, s)
		before, _ := s.Head(ctx, w.ID)
		storeAppendN(t, s, w.ID, 0, 5)
		h, err := s.Head(ctx, w.ID)
		if err != nil || h.V != 5 || h.Epoch != before.Epoch {
			t.Errorf("Head = %+v, %v; want version 5 in epoch %q", h, err, before.Epoch)
		}
		if _, err := s.Append(ctx, uuid.NewString(), 0, storeEntry(1)); !errors.Is(err, ErrNotFound) {
			t.Errorf("Append(unknown workshop): got %v, want ErrNotFound", err)
		}
		if _, err := s.Head(ctx, uuid.NewString()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Head(unknown workshop): got %v, want ErrNotFound", err)
		}
	})

	t.Run("conflict returns top", func(t *testing.T) {
		w := storeWorkshop(t, s)
		storeAppendN(t, s, w.ID, 0, 2)
		for _, expected := range []int64{0, 1, 3, 9} {
			e := storeEntry(int(expected))
			v, err := s.Append(ctx, w.ID, expected, e)
			if !errors.Is(err, ErrConflict) || v != 2 {
				t.Errorf("Append at expected %d = %d, %v; want 2, ErrConflict", expected, v, err)
			}
			if _, err := s.OpVersion(ctx, w.ID, e.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("OpVersion of a refused op: got %v, want ErrNotFound", err)
			}
		}
		if h, _ := s.Head(ctx, w.ID); h.V != 2 {
			t.Errorf("Head after conflicts = %d, want 2", h.V)
		}
	})

	t.Run("duplicate returns original version", func(t *testing.T) {
		w := storeWorkshop(t, s)
		first := storeAppendN(t, s, w.ID, 0, 3)[0]
		for _, expected := range []int64{0, 2, 3} {
			v, err := s.Append(ctx, w.ID, expected, first)
			if !errors.Is(err, ErrDuplicate) || v != 1 {
				t.Errorf("Append of op 1 again at expected %d = %d, %v; want 1, ErrDuplicate", expected, v, err)
			}
		}
		if h, _ := s.Head(ctx, w.ID); h.V != 3 {
			t.Errorf("Head after duplicates = %d, want 3", h.V)
		}
	})

	t.Run("entries after N", func(t *testing.T) {
		w := storeWorkshop(t, s)
		want := storeAppendN(t, s, w.ID, 0, 6)
		for _, after := range []int64{0, 2, 5, 6, 10} {
			got, err := s.Entries(ctx, w.ID, after)
			if err != nil {
				t.Fatalf("Entries(%d): %v", after, err)
			}
			storeSameEntries(t, got, want[min(after, 6):])
		}
		if _, err := s.Entries(ctx, uuid.NewString(), 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("Entries(unknown workshop): got %v, want ErrNotFound", err)
		}
	})

	t.Run("trimmed after snapshot", func(t *testing.T) {
		w := storeWorkshop(t, s)
		const n = 1300
		all := storeAppendMany(t, s, w.ID, 0, n)
		if err := s.PutSnapshot(ctx, w.ID, Snapshot{V: n, Board: []byte(`{"v":1300}`)}); err != nil {
			t.Fatalf("PutSnapshot: %v", err)
		}
		kept := int64(n - keepLog) // entries after this one stay
		for _, after := range []int64{0, kept - 1} {
			if _, err := s.Entries(ctx, w.ID, after); !errors.Is(err, ErrTrimmed) {
				t.Errorf("Entries(%d) after a snapshot at %d: got %v, want ErrTrimmed", after, n, err)
			}
		}
		got, err := s.Entries(ctx, w.ID, kept)
		if err != nil {
			t.Fatalf("Entries(%d): %v", kept, err)
		}
		storeSameEntries(t, got, all[kept:])
		if v, err := s.OpVersion(ctx, w.ID, all[0].ID); err != nil || v != 1 {
			t.Errorf("OpVersion of a trimmed op = %d, %v; want 1", v, err)
		}
		if v, err := s.Append(ctx, w.ID, n, all[0]); !errors.Is(err, ErrDuplicate) || v != 1 {
			t.Errorf("Append of a trimmed op again = %d, %v; want 1, ErrDuplicate", v, err)
		}
	})

	t.Run("snapshot round trip", func(t *testing.T) {
		w := storeWorkshop(t, s)
		if snap, err := s.Snapshot(ctx, w.ID); err != nil || snap.V != 0 || len(snap.Board) != 0 {
			t.Fatalf("Snapshot of a new workshop = %+v, %v; want a zero one", snap, err)
		}
		storeAppendN(t, s, w.ID, 0, 4)
		for _, put := range []Snapshot{{V: 3, Board: []byte(`{"v":3}`)}, {V: 2, Board: []byte(`{"v":2}`)}} {
			if err := s.PutSnapshot(ctx, w.ID, put); err != nil {
				t.Fatalf("PutSnapshot(%d): %v", put.V, err)
			}
		}
		snap, err := s.Snapshot(ctx, w.ID)
		if err != nil || snap.V != 3 || string(snap.Board) != `{"v":3}` {
			t.Errorf("Snapshot = {%d %s}, %v; want {3 {\"v\":3}} (an older one is ignored)", snap.V, snap.Board, err)
		}
		if got, err := s.Entries(ctx, w.ID, 0); err != nil || len(got) != 4 {
			t.Errorf("Entries(0) after a small snapshot = %d entries, %v; want 4", len(got), err)
		}
		if _, err := s.Snapshot(ctx, uuid.NewString()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Snapshot(unknown workshop): got %v, want ErrNotFound", err)
		}
	})

	t.Run("op version", func(t *testing.T) {
		w := storeWorkshop(t, s)
		es := storeAppendN(t, s, w.ID, 0, 3)
		for _, e := range es {
			if v, err := s.OpVersion(ctx, w.ID, e.ID); err != nil || v != e.V {
				t.Errorf("OpVersion(%s) = %d, %v; want %d", e.ID, v, err, e.V)
			}
		}
		if _, err := s.OpVersion(ctx, w.ID, uuid.NewString()); !errors.Is(err, ErrNotFound) {
			t.Errorf("OpVersion(unknown op): got %v, want ErrNotFound", err)
		}
	})

	t.Run("delete removes everything", func(t *testing.T) {
		w := storeWorkshop(t, s)
		storeFill(t, s, w.ID)
		if err := s.DeleteWorkshop(ctx, w.ID); err != nil {
			t.Fatalf("DeleteWorkshop: %v", err)
		}
		storeGone(t, s, w)
		again := storeNewWorkshop()
		again.Code = w.Code
		if err := s.CreateWorkshop(ctx, again); err != nil {
			t.Fatalf("CreateWorkshop with a deleted workshop's code: %v", err)
		}
		t.Cleanup(func() { s.DeleteWorkshop(context.Background(), again.ID) })
		if got, _ := s.Workshop(ctx, again.Code); got.ID != again.ID {
			t.Errorf("code names %q, want the new workshop %q", got.ID, again.ID)
		}
	})

	t.Run("online", func(t *testing.T) {
		w := storeWorkshop(t, s)
		p1, p2, p3 := uuid.NewString(), uuid.NewString(), uuid.NewString()
		set := func(instance string, ids []string, ttl time.Duration) {
			t.Helper()
			if err := s.SetOnline(ctx, w.ID, instance, ids, ttl); err != nil {
				t.Fatalf("SetOnline(%s): %v", instance, err)
			}
		}
		storeWantOnline(t, s, w.ID)
		set("a", []string{p1, p2}, time.Minute)
		set("b", []string{p3}, time.Minute)
		storeWantOnline(t, s, w.ID, p1, p2, p3)
		set("a", []string{p2}, time.Minute)
		storeWantOnline(t, s, w.ID, p2, p3)
		set("b", nil, time.Minute)
		storeWantOnline(t, s, w.ID, p2)
		const ttl = 50 * time.Millisecond
		set("c", []string{p1}, ttl) // an instance that dies
		storeWantOnline(t, s, w.ID, p1, p2)
		// Its record lapses soon after its ttl: poll for that, for a while,
		// then storeWantOnline says what is wrong if it has not.
		lapsed := func() bool {
			got, err := s.Online(ctx, w.ID)
			return err == nil && len(got) == 1 && got[p2]
		}
		for deadline := time.Now().Add(20 * ttl); !lapsed() && time.Now().Before(deadline); time.Sleep(ttl / 5) {
		}
		storeWantOnline(t, s, w.ID, p2)
		storeWantOnline(t, s, uuid.NewString())
	})

	t.Run("subscribe delivers appended entries in order", func(t *testing.T) {
		w := storeWorkshop(t, s)
		sub := storeSubscribe(t, s, w.ID)
		defer sub.unsub()
		top := storeWaitLive(t, s, w.ID, sub)
		want := storeAppendN(t, s, w.ID, top, 30)
		sub.expect(t, want)
	})

	t.Run("unsubscribe stops delivery", func(t *testing.T) {
		w := storeWorkshop(t, s)
		a, b := storeSubscribe(t, s, w.ID), storeSubscribe(t, s, w.ID)
		top := storeWaitLive(t, s, w.ID, a)
		b.skipTo(t, top)
		a.unsub()
		a.unsub() // a second call does nothing
		want := storeAppendN(t, s, w.ID, top, 5)
		b.expect(t, want) // the room's other subscriber still hears
		b.unsub()
		storeAppendN(t, s, w.ID, top+5, 3)
		time.Sleep(200 * time.Millisecond)
		for _, sub := range []*storeSub{a, b} {
			if n := len(sub.got); n > 0 {
				t.Errorf("%d entries delivered after unsubscribe, want none", n)
			}
		}
	})
}

// storeNewWorkshop makes a workshop with a fresh id and a random code.
func storeNewWorkshop() board.Workshop {
	const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	code := make([]byte, 6)
	for i := range code {
		code[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return board.Workshop{
		ID: uuid.NewString(), Code: string(code), Title: "Store test",
		KeyHash: []byte{0xde, 0xad}, CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
	}
}

// storeWorkshop creates a workshop that is deleted when the test ends.
func storeWorkshop(t *testing.T, s Store) board.Workshop {
	t.Helper()
	w := storeNewWorkshop()
	if err := s.CreateWorkshop(t.Context(), w); err != nil {
		t.Fatalf("CreateWorkshop: %v", err)
	}
	t.Cleanup(func() {
		if err := s.DeleteWorkshop(context.Background(), w.ID); err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("DeleteWorkshop: %v", err)
		}
	})
	return w
}

// storeEntry is a small entry with a fresh op id.
func storeEntry(n int) board.Entry {
	return board.Entry{
		ID: uuid.NewString(), By: "a0000000-0000-4000-8000-000000000003", ByRole: board.RoleServiceUser,
		At: time.Now().UTC().Truncate(time.Millisecond), Op: board.Op{Kind: board.KindCardDelete, CardID: fmt.Sprint("c", n)},
	}
}

// storeAppendN appends n entries after version top and returns them with
// their versions.
func storeAppendN(t *testing.T, s Store, id string, top int64, n int) []board.Entry {
	t.Helper()
	out := make([]board.Entry, 0, n)
	for i := range n {
		e := storeEntry(i)
		v, err := s.Append(t.Context(), id, top, e)
		if err != nil || v != top+1 {
			t.Fatalf("Append at expected %d = %d, %v; want %d", top, v, err, top+1)
		}
		top, e.V = v, v
		out = append(out, e)
	}
	return out
}

// storeAppendMany is storeAppendN for a long log: a store that pipelines
// appends takes them all and makes them durable together, rather than
// with one fsync each.
func storeAppendMany(t *testing.T, s Store, id string, top int64, n int) []board.Entry {
	t.Helper()
	p, ok := s.(Pipeliner)
	if !ok {
		return storeAppendN(t, s, id, top, n)
	}
	out := make([]board.Entry, 0, n)
	var last Pending
	for i := range n {
		e := storeEntry(i)
		v, pending, err := p.AppendAsync(t.Context(), id, top, e)
		if err != nil || v != top+1 {
			t.Fatalf("AppendAsync at expected %d = %d, %v; want %d", top, v, err, top+1)
		}
		top, e.V, last = v, v, pending
		out = append(out, e)
	}
	select { // appends become durable in order: the last one says for all
	case <-last.Done():
	case <-time.After(storeWait):
		t.Fatalf("%d appends not durable after %v", n, storeWait)
	}
	if err := last.Err(); err != nil {
		t.Fatalf("appends failed: %v", err)
	}
	return out
}

// storeFill gives a workshop a participant, a log, a snapshot and someone
// online.
func storeFill(t *testing.T, s Store, id string) {
	t.Helper()
	ctx := t.Context()
	if err := s.PutParticipant(ctx, id, board.Participant{ID: uuid.NewString(), Role: board.RoleStaff}); err != nil {
		t.Fatalf("PutParticipant: %v", err)
	}
	storeAppendN(t, s, id, 0, 3)
	if err := s.PutSnapshot(ctx, id, Snapshot{V: 2, Board: []byte(`{}`)}); err != nil {
		t.Fatalf("PutSnapshot: %v", err)
	}
	if err := s.SetOnline(ctx, id, "a", []string{uuid.NewString()}, time.Minute); err != nil {
		t.Fatalf("SetOnline: %v", err)
	}
}

// storeWantOnline checks who Online says is online.
func storeWantOnline(t *testing.T, s Store, id string, want ...string) {
	t.Helper()
	got, err := s.Online(t.Context(), id)
	if err != nil {
		t.Fatalf("Online: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Online = %v, want %v", got, want)
	}
	for _, p := range want {
		if !got[p] {
			t.Fatalf("Online = %v, want %v", got, want)
		}
	}
}

// storeGone checks that every call about a deleted workshop finds nothing.
func storeGone(t *testing.T, s Store, w board.Workshop) {
	t.Helper()
	ctx := t.Context()
	calls := map[string]func() error{
		"Workshop(id)":   func() error { _, err := s.Workshop(ctx, w.ID); return err },
		"Workshop(code)": func() error { _, err := s.Workshop(ctx, w.Code); return err },
		"Head":           func() error { _, err := s.Head(ctx, w.ID); return err },
		"Append":         func() error { _, err := s.Append(ctx, w.ID, 3, storeEntry(0)); return err },
		"Entries":        func() error { _, err := s.Entries(ctx, w.ID, 0); return err },
		"Snapshot":       func() error { _, err := s.Snapshot(ctx, w.ID); return err },
		"PutSnapshot":    func() error { return s.PutSnapshot(ctx, w.ID, Snapshot{V: 3, Board: []byte(`{}`)}) },
		"Participants":   func() error { _, err := s.Participants(ctx, w.ID); return err },
		"PutParticipant": func() error { return s.PutParticipant(ctx, w.ID, board.Participant{ID: uuid.NewString()}) },
		"OpVersion":      func() error { _, err := s.OpVersion(ctx, w.ID, uuid.NewString()); return err },
		"DeleteWorkshop": func() error { return s.DeleteWorkshop(ctx, w.ID) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after delete: got %v, want ErrNotFound", name, err)
		}
	}
}

func storeSameEntries(t *testing.T, got, want []board.Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.V != w.V || g.ID != w.ID || g.By != w.By || g.ByRole != w.ByRole || !g.At.Equal(w.At) ||
			g.Op.Kind != w.Op.Kind || g.Op.CardID != w.Op.CardID {
			t.Fatalf("entry %d = %+v, want %+v", i, g, w)
		}
	}
}

// storeSub is a test subscriber. Its callbacks never block, as Subscribe
// requires; an entry that does not fit is counted as lost.
type storeSub struct {
	got     chan board.Entry
	resyncs chan struct{}
	unsub   func()
}

func storeSubscribe(t *testing.T, s Store, id string) *storeSub {
	sub := &storeSub{got: make(chan board.Entry, 2000), resyncs: make(chan struct{}, 100)}
	sub.unsub = s.Subscribe(id, func(e board.Entry) {
		select {
		case sub.got <- e:
		default:
		}
	}, func() {
		select {
		case sub.resyncs <- struct{}{}:
		default:
		}
	})
	t.Cleanup(sub.unsub)
	return sub
}

// expect checks that exactly want arrives, in order.
func (sub *storeSub) expect(t *testing.T, want []board.Entry) {
	t.Helper()
	got := make([]board.Entry, 0, len(want))
	for len(got) < len(want) {
		select {
		case e := <-sub.got:
			got = append(got, e)
		case <-time.After(storeWait):
			t.Fatalf("got %d of %d entries (versions %v)", len(got), len(want), storeVersions(got))
		}
	}
	storeSameEntries(t, got, want)
}

// skipTo reads entries until the one at version v.
func (sub *storeSub) skipTo(t *testing.T, v int64) {
	t.Helper()
	for {
		select {
		case e := <-sub.got:
			if e.V >= v {
				return
			}
		case <-time.After(storeWait):
			t.Fatalf("version %d was not delivered", v)
		}
	}
}

func storeVersions(es []board.Entry) []int64 {
	var vs []int64
	for _, e := range es {
		vs = append(vs, e.V)
	}
	return vs
}

// storeWaitLive appends probes until one reaches sub, so that the
// subscription is known to be in effect, and returns the top version.
// Delivery may skip entries before that, as Subscribe allows.
func storeWaitLive(t *testing.T, s Store, id string, sub *storeSub) int64 {
	t.Helper()
	deadline := time.Now().Add(storeWait)
	for time.Now().Before(deadline) {
		h, err := s.Head(t.Context(), id)
		if err != nil {
			t.Fatalf("Head: %v", err)
		}
		top := storeAppendN(t, s, id, h.V, 1)[0].V
		select {
		case e := <-sub.got:
			if e.V < top {
				sub.skipTo(t, top)
			}
			return top
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("no entry delivered within %s of subscribing", storeWait)
	return 0
}

// TestStoreAppendRefusesAnotherEpoch: an entry appended to a history that
// is no longer the room's is a conflict, on both stores.
func TestStoreAppendRefusesAnotherEpoch(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) Store{
		"embedded": func(t *testing.T) Store { return openTestEmbedded(t) },
		"redis":    func(t *testing.T) Store { return openRedisStore(t, redisURL(t)) },
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			w := storeWorkshop(t, s)
			head, err := s.Head(ctx, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			e := board.Entry{ID: uuid.NewString(), By: "p", ByRole: board.RoleStaff, At: time.Now().UTC(), Op: board.Op{Kind: board.KindPhaseSet, Phase: "locked"}}
			e.Epoch = "some-older-history"
			if _, err := s.Append(ctx, w.ID, head.V, e); !errors.Is(err, ErrConflict) {
				t.Fatalf("append to another epoch: got %v, want ErrConflict", err)
			}
			e.Epoch = head.Epoch
			if v, err := s.Append(ctx, w.ID, head.V, e); err != nil || v != head.V+1 {
				t.Fatalf("append to the room's epoch: got %d, %v; want %d", v, err, head.V+1)
			}
		})
	}
}
