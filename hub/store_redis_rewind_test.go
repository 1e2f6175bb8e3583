package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub/board"
)

// rewindAdd submits a card.add from s and waits for its ack; it returns
// the op's id and version.
func rewindAdd(t *testing.T, s *Session, m *inbox, from *int, text string) (string, int64) {
	t.Helper()
	id := uuid.NewString()
	s.Submit(id, board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: text}})
	for {
		f := m.waitFor(t, "ack", from)
		var got string
		json.Unmarshal(f["id"], &got)
		if got == id {
			var v int64
			json.Unmarshal(f["v"], &v)
			return id, v
		}
	}
}

// welcomeOf decodes the fields of a welcome that a resume depends on.
type welcomeOf struct {
	Epoch  string            `json:"epoch"`
	V      int64             `json:"v"`
	LastID *string           `json:"lastId"`
	Board  *json.RawMessage  `json:"board"`
	Ops    []json.RawMessage `json:"ops"`
}

// rejoin joins the workshop with req and returns the welcome.
func rejoin(t *testing.T, h *Hub, code string, req JoinRequest) welcomeOf {
	t.Helper()
	m := newInbox()
	s, jerr := h.Join(t.Context(), code, req, m)
	if jerr != nil {
		t.Fatal(jerr)
	}
	t.Cleanup(s.Leave)
	from := 0
	f := m.waitFor(t, "welcome", &from)
	raw, _ := json.Marshal(f)
	var w welcomeOf
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatalf("decode welcome: %v", err)
	}
	return w
}

// TestResumeChecksSinceID: welcome names the op at its version (lastId),
// and a resume replays ops only when the op at since is the one the client
// names; otherwise, or beyond the top, or from another epoch, it gets the
// whole board.
func TestResumeChecksSinceID(t *testing.T) {
	h, w, s, m := openWorkshop(t, openRedisStore(t, redisURL(t)), board.RoleServiceUser)
	if first := rejoin(t, h, w.Code, JoinRequest{Role: board.RoleStaff}); first.LastID != nil || first.V != 0 {
		t.Errorf("first welcome: v %d, lastId %v; want v 0 and no lastId", first.V, first.LastID)
	}
	from := 0
	var ids []string
	for i := range 3 {
		id, v := rewindAdd(t, s, m, &from, "idea")
		if v != int64(i+1) {
			t.Fatalf("op %d acked at %d, want %d", i, v, i+1)
		}
		ids = append(ids, id)
	}
	fresh := rejoin(t, h, w.Code, JoinRequest{Role: board.RoleStaff})
	if fresh.LastID == nil || *fresh.LastID != ids[2] || fresh.Board == nil {
		t.Fatalf("welcome = v %d, lastId %v; want the board with lastId %s", fresh.V, fresh.LastID, ids[2])
	}
	epoch := fresh.Epoch
	at := func(v int64) *int64 { return &v }

	for _, tc := range []struct {
		name    string
		since   int64
		sinceID string
		epoch   string
		ops     int // -1: the board
	}{
		{"no sinceId", 1, "", epoch, 2},
		{"matching sinceId", 1, ids[0], epoch, 2},
		{"matching sinceId at the top", 3, ids[2], epoch, 0},
		{"other op at since", 1, uuid.NewString(), epoch, -1},
		{"other op at the top", 3, ids[1], epoch, -1},
		{"sinceId at version 0", 0, ids[0], epoch, -1},
		{"since beyond the top", 5, "", epoch, -1},
		{"other epoch", 1, ids[0], uuid.NewString(), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rejoin(t, h, w.Code, JoinRequest{Role: board.RoleStaff, Since: at(tc.since), SinceID: tc.sinceID, Epoch: tc.epoch})
			if got.LastID == nil || *got.LastID != ids[2] || got.V != 3 {
				t.Errorf("welcome at v %d has lastId %v, want v 3 and %s", got.V, got.LastID, ids[2])
			}
			switch {
			case tc.ops < 0 && (got.Board == nil || got.Ops != nil):
				t.Errorf("got %d ops (board %v), want the board and no ops", len(got.Ops), got.Board != nil)
			case tc.ops >= 0 && (got.Board != nil || len(got.Ops) != tc.ops):
				t.Errorf("got %d ops (board %v), want %d ops", len(got.Ops), got.Board != nil, tc.ops)
			}
		})
	}
}

// rewindAt waits for the next welcome m is sent after *from (the room
// reloaded) and decodes it.
func rewindAt(t *testing.T, m *inbox, from *int) welcomeOf {
	t.Helper()
	f := m.waitFor(t, "welcome", from)
	raw, _ := json.Marshal(f)
	var w welcomeOf
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatalf("decode welcome: %v", err)
	}
	return w
}

// boardCards is how many cards a welcome's board holds.
func boardCards(t *testing.T, w welcomeOf) int {
	t.Helper()
	if w.Board == nil {
		t.Fatalf("welcome at v %d has no board", w.V)
	}
	var b struct {
		Cards []json.RawMessage `json:"cards"`
	}
	json.Unmarshal(*w.Board, &b)
	return len(b.Cards)
}

// TestRedisRewindStartsNewEpoch: a Redis that comes back from an older
// snapshot or append-only file, having lost acknowledged ops, is noticed
// by the instances that saw them: the workshop goes on under a new epoch,
// its connected members get the whole board as Redis now has it, and a
// phone that resumes from the lost window gets the board too, never ops.
func TestRedisRewindStartsNewEpoch(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a Redis server: slow; run without -short")
	}
	for _, tc := range []struct {
		name string
		args []string
		save func(t *testing.T, srv *testServer) (restore func())
	}{
		{"snapshot", []string{"--appendonly", "no"}, func(t *testing.T, srv *testServer) func() {
			rdb := redis.NewClient(&redis.Options{Addr: srv.addr})
			defer rdb.Close()
			if err := rdb.Save(t.Context()).Err(); err != nil {
				t.Fatalf("SAVE: %v", err)
			}
			return func() {} // restarting loads the older dump.rdb
		}},
		{"append-only file", nil, func(t *testing.T, srv *testServer) func() {
			kept := filepath.Join(t.TempDir(), "aof")
			if err := os.CopyFS(kept, os.DirFS(filepath.Join(srv.dir, "appendonlydir"))); err != nil {
				t.Fatalf("copy the append-only file: %v", err)
			}
			return func() {
				dir := filepath.Join(srv.dir, "appendonlydir")
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if err := os.CopyFS(dir, os.DirFS(kept)); err != nil {
					t.Fatalf("put back the older append-only file: %v", err)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRedis(t, tc.args...)
			url := "redis://" + srv.addr + "/"
			hA, hB := newTestHub(t, openRedisStore(t, url)), newTestHub(t, openRedisStore(t, url))
			w, _, err := hA.CreateWorkshop(t.Context(), "Rewind")
			if err != nil {
				t.Fatal(err)
			}
			x, mx, fromX := joinWelcomed(t, hA, w.Code, board.RoleServiceUser)
			_, my, fromY := joinWelcomed(t, hB, w.Code, board.RoleStaff)
			var ids []string
			for range 3 {
				id, _ := rewindAdd(t, x, mx, &fromX, "kept")
				ids = append(ids, id)
			}
			restore := tc.save(t, srv)
			for range 3 {
				id, _ := rewindAdd(t, x, mx, &fromX, "lost")
				ids = append(ids, id)
			}
			for { // the other instance saw them too
				f := my.waitFor(t, "op", &fromY)
				if string(f["v"]) == "6" {
					break
				}
			}
			old := rejoin(t, hA, w.Code, JoinRequest{Role: board.RoleStaff})

			srv.kill()
			restore()
			srv.start()

			for name, m := range map[string]struct {
				m    *inbox
				from *int
			}{"member on the instance that wrote": {mx, &fromX}, "member on the other instance": {my, &fromY}} {
				got := rewindAt(t, m.m, m.from)
				if got.Epoch == old.Epoch || got.V != 3 || boardCards(t, got) != 3 || got.LastID == nil || *got.LastID != ids[2] {
					t.Errorf("%s: welcome epoch %q (old %q), v %d, lastId %v; want a new epoch at v 3 with 3 cards and lastId %s",
						name, got.Epoch, old.Epoch, got.V, got.LastID, ids[2])
				}
			}
			at := func(v int64) *int64 { return &v }
			for _, req := range []JoinRequest{
				{Role: board.RoleStaff, Since: at(5), Epoch: old.Epoch, SinceID: ids[4]},
				{Role: board.RoleStaff, Since: at(5), Epoch: old.Epoch},
				{Role: board.RoleStaff, Since: at(2), Epoch: old.Epoch, SinceID: ids[1]},
			} {
				if got := rejoin(t, hB, w.Code, req); got.Board == nil || got.Epoch == old.Epoch {
					t.Errorf("resume since %d of the old epoch: got %d ops, epoch %q; want the board in a new epoch", *req.Since, len(got.Ops), got.Epoch)
				}
			}

			// The new history goes on, the same on both instances.
			_, v := rewindAdd(t, x, mx, &fromX, "after")
			for {
				f := my.waitFor(t, "op", &fromY)
				if string(f["v"]) == fmt.Sprint(v) {
					break
				}
			}
			for _, h := range []*Hub{hA, hB} {
				if got := rejoin(t, h, w.Code, JoinRequest{Role: board.RoleStaff}); got.V != 4 || boardCards(t, got) != 4 {
					t.Errorf("fresh join: v %d with %d cards, want v 4 with 4", got.V, boardCards(t, got))
				}
			}
		})
	}
}

// TestRedisStoreMarkCatchesRewind: the store compares what Redis holds
// with what it saw: a top below it, or another op at the version it saw,
// starts a new epoch, once, which other instances then share; an append
// from the old history is refused, and so is a snapshot of it.
func TestRedisStoreMarkCatchesRewind(t *testing.T) {
	url := redisURL(t)
	rdb := redisAdmin(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name   string
		rewind func(t *testing.T, keys []string, entries []board.Entry)
	}{
		{"top below the mark", func(t *testing.T, keys []string, entries []board.Entry) {
			// As a restored copy from before the third op would have it.
			rdb.XDel(ctx, keys[kLog], "3-0")
			rdb.HDel(ctx, keys[kOps], entries[2].ID)
			rdb.HSet(ctx, keys[kMeta], "top", 2, "last", entries[1].ID)
		}},
		{"another op at the mark", func(t *testing.T, keys []string, entries []board.Entry) {
			other := uuid.NewString()
			rdb.HDel(ctx, keys[kOps], entries[2].ID)
			rdb.HSet(ctx, keys[kOps], other, 3)
			rdb.HSet(ctx, keys[kMeta], "last", other)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := openRedisStore(t, url), openRedisStore(t, url)
			w := storeWorkshop(t, a)
			h0, _ := a.Head(ctx, w.ID)
			var entries []board.Entry
			for i := range 3 {
				e := storeEntry(i)
				e.Epoch = h0.Epoch
				v, err := a.Append(ctx, w.ID, int64(i), e)
				if err != nil {
					t.Fatalf("Append: %v", err)
				}
				e.V = v
				entries = append(entries, e)
			}
			tc.rewind(t, redisKeys(w.ID), entries)
			if h, _ := b.Head(ctx, w.ID); h.Epoch != h0.Epoch {
				t.Fatalf("an instance that saw nothing changed the epoch")
			}

			late := storeEntry(9)
			late.Epoch = h0.Epoch
			top := int64(3)
			if tc.name == "top below the mark" {
				top = 2
			}
			if v, err := a.Append(ctx, w.ID, top, late); !errors.Is(err, ErrConflict) || v != 0 {
				t.Errorf("Append onto the rewound history = %d, %v; want 0, ErrConflict", v, err)
			}
			h, err := a.Head(ctx, w.ID)
			if err != nil || h.Epoch == h0.Epoch || h.V != top {
				t.Fatalf("Head = %+v, %v; want a new epoch at %d (old %q)", h, err, top, h0.Epoch)
			}
			if hb, _ := b.Head(ctx, w.ID); hb != h {
				t.Errorf("other instance's Head = %+v, want %+v", hb, h)
			}
			if _, err := a.OpVersion(ctx, w.ID, late.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("the refused append was kept: %v", err)
			}
			if again, _ := a.Head(ctx, w.ID); again != h {
				t.Errorf("Head again = %+v, want %+v: one new epoch, not one per look", again, h)
			}
			old := board.NewBoard()
			for _, e := range entries {
				old.Apply(e)
			}
			data, _ := old.MarshalBoard()
			if tc.name == "another op at the mark" {
				if err := a.PutSnapshot(ctx, w.ID, Snapshot{V: 3, Board: data}); err == nil {
					t.Errorf("PutSnapshot of the old history's board: got nil, want a refusal")
				}
			}
		})
	}
}

// TestRedisStoreKeysExpireAsMade: every key a workshop has gets an expiry
// no longer than its retention in the script that makes it, with no
// Touch: an instance killed at any moment leaves nothing that outlives
// the retention. A history started anew keeps it too.
func TestRedisStoreKeysExpireAsMade(t *testing.T) {
	url := redisURL(t)
	rdb := redisAdmin(t)
	ctx := t.Context()
	const retention = time.Hour
	s, err := OpenRedis(ctx, RedisConfig{URL: url, Retention: retention}, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w := storeWorkshop(t, s)
	check := func(want int) {
		t.Helper()
		keys := append(redisRoomKeys(t, rdb, w.ID), redisCodeKey(w.Code))
		if len(keys) != want {
			t.Errorf("keys %v, want %d", keys, want)
		}
		for _, k := range keys {
			if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > retention {
				t.Errorf("key %s expires in %v, want within %v", k, ttl, retention)
			}
		}
	}
	storeFill(t, s, w.ID) // a participant, entries, a snapshot
	if err := s.SetOnline(ctx, w.ID, "a", []string{uuid.NewString()}, time.Minute); err != nil {
		t.Fatal(err)
	}
	check(len(redisKeys(w.ID)) + 1)
	rdb.Del(ctx, redisKeys(w.ID)[kLog])
	if _, err := s.Head(ctx, w.ID); err != nil { // starts the history anew
		t.Fatal(err)
	}
	storeAppendN(t, s, w.ID, 0, 1)
	check(len(redisKeys(w.ID)) + 1 - 1) // no snapshot in the new history
}

// TestRedisStoreWaitsForReplicas: with WaitReplicas, an append returns
// only once a replica has it; while none answers it fails though the op
// is logged, and the op's re-send is acknowledged once a replica has it.
func TestRedisStoreWaitsForReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two Redis servers")
	}
	primary := startRedis(t)
	replica := startRedis(t, "--replicaof", strings.Replace(primary.addr, ":", " ", 1))
	ctx := t.Context()
	rep := redis.NewClient(&redis.Options{Addr: replica.addr})
	t.Cleanup(func() { rep.Close() })
	// A loaded machine takes a while for the replica's first full sync.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(rep.Info(ctx, "replication").Val(), "master_link_status:up"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replica did not link up with its primary within 30s")
		}
	}
	s, err := OpenRedis(ctx, RedisConfig{URL: "redis://" + primary.addr + "/", WaitReplicas: 1, WaitTimeout: time.Second},
		slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w := storeWorkshop(t, s)
	resend := func(e board.Entry, top int64) (int64, error) {
		v, err := s.Append(ctx, w.ID, top, e)
		if errors.Is(err, ErrDuplicate) {
			err = nil
		}
		return v, err
	}
	var v int64
	first := storeEntry(0)
	for deadline := time.Now().Add(storeWait); ; time.Sleep(50 * time.Millisecond) { // the replica's first sync
		if v, err = resend(first, 0); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || v != 1 {
		t.Fatalf("Append with a replica = %d, %v; want 1", v, err)
	}
	if n := rep.HLen(ctx, redisKeys(w.ID)[kOps]).Val(); n != 1 {
		t.Errorf("the replica has %d op ids once the append returned, want 1", n)
	}

	if err := rep.Do(ctx, "REPLICAOF", "127.0.0.1", strings.Split(spareAddr(t), ":")[1]).Err(); err != nil {
		t.Fatal(err)
	}
	e := storeEntry(1)
	if _, err := s.Append(ctx, w.ID, 1, e); err == nil || errors.Is(err, ErrConflict) {
		t.Fatalf("Append with no replica answering: got %v, want a failure", err)
	}
	if got, err := s.OpVersion(ctx, w.ID, e.ID); err != nil || got != 2 {
		t.Fatalf("the op is not in the log: %d, %v", got, err)
	}
	if _, err := resend(e, 1); err == nil {
		t.Errorf("re-send with no replica answering: got nil, want a failure")
	}
	if err := rep.Do(ctx, "REPLICAOF", strings.Split(primary.addr, ":")[0], strings.Split(primary.addr, ":")[1]).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(storeWait); ; time.Sleep(50 * time.Millisecond) {
		if v, err = resend(e, 1); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || v != 2 {
		t.Errorf("re-send once the replica is back = %d, %v; want the original 2", v, err)
	}
}
