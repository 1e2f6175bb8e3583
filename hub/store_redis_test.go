package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub/board"
)

// testRedisAddr is where the tests expect Redis.
const testRedisAddr = "127.0.0.1:6379"

// redisURL returns the test Redis's URL. Without Redis the test is skipped
// on a laptop and fails in CI.
func redisURL(t *testing.T) string {
	t.Helper()
	url := "redis://" + testRedisAddr + "/"
	rdb := redis.NewClient(&redis.Options{Addr: testRedisAddr})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis not reachable at %s: %v", testRedisAddr, err)
		}
		t.Skipf("redis not reachable at %s: %v", testRedisAddr, err)
	}
	return url
}

// openRedisStore opens a store, like one server instance, closed when the
// test ends.
func openRedisStore(t *testing.T, url string) *RedisStore {
	t.Helper()
	s, err := OpenRedis(t.Context(), RedisConfig{URL: url}, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatalf("OpenRedis: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// redisAdmin is a plain client for looking behind the store's back.
func redisAdmin(t *testing.T) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: testRedisAddr})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// redisRoomKeys lists the keys of a workshop's hash tag.
func redisRoomKeys(t *testing.T, rdb *redis.Client, id string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(t.Context(), 0, "wb:{"+id+"}*", 100).Iterator()
	for iter.Next(t.Context()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return keys
}

// appendRetrying appends e the way a room does: on a conflict it takes the
// top it was told and tries again.
func appendRetrying(ctx context.Context, s Store, id string, e board.Entry) (int64, error) {
	h, err := s.Head(ctx, id)
	if err != nil {
		return 0, err
	}
	top := h.V
	for {
		v, err := s.Append(ctx, id, top, e)
		if !errors.Is(err, ErrConflict) {
			return v, err
		}
		top = v
	}
}

func TestRedisStoreConcurrentAppends(t *testing.T) {
	url := redisURL(t)
	stores := []*RedisStore{openRedisStore(t, url), openRedisStore(t, url)}
	w := storeWorkshop(t, stores[0])
	const total, workers = 500, 4
	// A room on each instance hears every version, in order. Redis confirms
	// a subscription with a resync, after which nothing is missed.
	var subs []*storeSub
	for _, s := range stores {
		sub := storeSubscribe(t, s, w.ID)
		select {
		case <-sub.resyncs:
		case <-time.After(storeWait):
			t.Fatalf("subscription was not confirmed with a resync")
		}
		subs = append(subs, sub)
	}

	ids := make(chan string, total)
	for range total {
		ids <- uuid.NewString()
	}
	close(ids)
	var mu sync.Mutex
	acked := map[string]int64{} // op id -> version its append returned
	var wg sync.WaitGroup
	for _, s := range stores {
		for range workers {
			wg.Go(func() {
				for id := range ids {
					e := storeEntry(0)
					e.ID = id
					v, err := appendRetrying(t.Context(), s, w.ID, e)
					if err != nil {
						t.Errorf("append %s: %v", id, err)
						return
					}
					mu.Lock()
					acked[id] = v
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()

	entries, err := stores[1].Entries(t.Context(), w.ID, 0)
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	if len(entries) != total || len(acked) != total {
		t.Fatalf("got %d entries and %d acks, want %d of each", len(entries), len(acked), total)
	}
	seen := map[string]bool{}
	for i, e := range entries {
		if e.V != int64(i+1) {
			t.Fatalf("entry %d has version %d, want %d", i, e.V, i+1)
		}
		if seen[e.ID] {
			t.Errorf("op %s is in the log twice", e.ID)
		}
		seen[e.ID] = true
		if acked[e.ID] != e.V {
			t.Errorf("op %s was acked at %d but logged at %d", e.ID, acked[e.ID], e.V)
		}
	}
	if h, _ := stores[0].Head(t.Context(), w.ID); h.V != total {
		t.Errorf("Head = %d, want %d", h.V, total)
	}
	for _, sub := range subs {
		sub.expect(t, entries)
	}
}

func TestRedisStoreSameOpFromTwoInstances(t *testing.T) {
	url := redisURL(t)
	a, b := openRedisStore(t, url), openRedisStore(t, url)
	w := storeWorkshop(t, a)
	const ops = 50
	for range ops {
		e := storeEntry(0)
		var wg sync.WaitGroup
		var vs [2]int64
		var errs [2]error
		for i, s := range []Store{a, b} {
			wg.Go(func() { vs[i], errs[i] = appendRetrying(t.Context(), s, w.ID, e) })
		}
		wg.Wait()
		dups := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, ErrDuplicate):
				dups++
			case err != nil:
				t.Fatalf("append: %v", err)
			}
		}
		if dups != 1 || vs[0] != vs[1] {
			t.Fatalf("both instances appended op %s: versions %v, errors %v; want one version and one ErrDuplicate", e.ID, vs, errs)
		}
	}
	entries, err := b.Entries(t.Context(), w.ID, 0)
	if err != nil || len(entries) != ops {
		t.Fatalf("Entries = %d entries, %v; want %d", len(entries), err, ops)
	}
}

func TestRedisStoreDeleteLeavesNoKeys(t *testing.T) {
	url := redisURL(t)
	s, other := openRedisStore(t, url), openRedisStore(t, url)
	rdb := redisAdmin(t)
	w := storeWorkshop(t, s)
	storeFill(t, s, w.ID)
	if keys := redisRoomKeys(t, rdb, w.ID); len(keys) != len(redisKeys(w.ID)) {
		t.Errorf("a filled workshop has keys %v, want %d", keys, len(redisKeys(w.ID)))
	}
	sub := storeSubscribe(t, other, w.ID) // another instance's room
	storeWaitLive(t, s, w.ID, sub)
	for len(sub.resyncs) > 0 {
		<-sub.resyncs
	}

	if err := s.DeleteWorkshop(t.Context(), w.ID); err != nil {
		t.Fatalf("DeleteWorkshop: %v", err)
	}
	select {
	case <-sub.resyncs:
	case <-time.After(storeWait):
		t.Errorf("the other instance's subscriber was not told to resync after the delete")
	}
	storeGone(t, s, w) // also tries writes, which must not bring keys back
	if err := s.SetOnline(t.Context(), w.ID, "a", []string{uuid.NewString()}, time.Minute); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetOnline after delete: got %v, want ErrNotFound", err)
	}
	storeWantOnline(t, s, w.ID)
	if keys := redisRoomKeys(t, rdb, w.ID); len(keys) > 0 {
		t.Errorf("keys left after delete: %v", keys)
	}
	if n := rdb.Exists(t.Context(), redisCodeKey(w.Code)).Val(); n != 0 {
		t.Errorf("join code key is left after delete")
	}
}

func TestRedisStoreResubscribesAfterKill(t *testing.T) {
	name := "wbtest-" + uuid.NewString()
	s := openRedisStore(t, redisURL(t)+"?client_name="+name)
	rdb := redisAdmin(t)
	w := storeWorkshop(t, s)
	sub := storeSubscribe(t, s, w.ID)
	top := storeWaitLive(t, s, w.ID, sub)
	for len(sub.resyncs) > 0 {
		<-sub.resyncs
	}

	// Kill only this store's subscriber connection: other tests and
	// processes may share this Redis.
	list, err := rdb.Do(t.Context(), "CLIENT", "LIST", "TYPE", "pubsub").Text()
	if err != nil {
		t.Fatalf("client list: %v", err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") {
			id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
			if err := rdb.Do(t.Context(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
				t.Fatalf("client kill: %v", err)
			}
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("killed %d subscriber connections, want 1 (client list: %s)", killed, list)
	}

	select {
	case <-sub.resyncs:
	case <-time.After(storeWait):
		t.Fatalf("resync was not called after the subscriber connection was killed")
	}
	want := storeAppendN(t, s, w.ID, top, 5)
	sub.expect(t, want)
}

func TestRedisStoreKeyLossStartsNewEpoch(t *testing.T) {
	url := redisURL(t)
	a, b := openRedisStore(t, url), openRedisStore(t, url)
	rdb := redisAdmin(t)
	ctx := t.Context()
	keys := redisKeys

	t.Run("head", func(t *testing.T) {
		w := storeWorkshop(t, a)
		old := storeAppendN(t, a, w.ID, 0, 3)
		before, _ := a.Head(ctx, w.ID)
		if err := rdb.Del(ctx, keys(w.ID)[kMeta], keys(w.ID)[kLog]).Err(); err != nil {
			t.Fatalf("del: %v", err)
		}
		var heads [2]Head
		var wg sync.WaitGroup
		for i, s := range []Store{a, b} {
			wg.Go(func() {
				var err error
				if heads[i], err = s.Head(ctx, w.ID); err != nil {
					t.Errorf("Head: %v", err)
				}
			})
		}
		wg.Wait()
		if heads[0] != heads[1] || heads[0].V != 0 || heads[0].Epoch == before.Epoch || heads[0].Epoch == "" {
			t.Fatalf("Heads after key loss = %+v, want one new epoch at version 0 (old %+v)", heads, before)
		}
		if _, err := a.OpVersion(ctx, w.ID, old[0].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("OpVersion of an op of the lost history: got %v, want ErrNotFound", err)
		}
		if v, err := a.Append(ctx, w.ID, 3, storeEntry(0)); !errors.Is(err, ErrConflict) || v != 0 {
			t.Errorf("Append at the old top = %d, %v; want 0, ErrConflict", v, err)
		}
		storeAppendN(t, b, w.ID, 0, 2)
		if got, err := a.Entries(ctx, w.ID, 0); err != nil || len(got) != 2 {
			t.Errorf("Entries(0) = %d entries, %v; want the new history's 2", len(got), err)
		}
		if h, _ := a.Head(ctx, w.ID); h.Epoch != heads[0].Epoch {
			t.Errorf("epoch changed again to %q, want %q", h.Epoch, heads[0].Epoch)
		}
	})

	// Whatever part of a room's history is lost, the room starts anew.
	for _, lost := range [][]int{{kMeta}, {kLog}, {kOps}, {kSnap}, {kLog, kOps, kSnap}} {
		t.Run(fmt.Sprint("lost keys ", lost), func(t *testing.T) {
			w := storeWorkshop(t, a)
			storeFill(t, a, w.ID)
			before, _ := a.Head(ctx, w.ID)
			for _, k := range lost {
				if err := rdb.Del(ctx, keys(w.ID)[k]).Err(); err != nil {
					t.Fatalf("del: %v", err)
				}
			}
			storeAppendN(t, b, w.ID, 0, 1) // Append notices as well as Head
			h, err := a.Head(ctx, w.ID)
			if err != nil || h.V != 1 || h.Epoch == before.Epoch {
				t.Errorf("Head = %+v, %v; want version 1 in a new epoch (old %q)", h, err, before.Epoch)
			}
			if snap, err := a.Snapshot(ctx, w.ID); err != nil || snap.V != 0 {
				t.Errorf("Snapshot = version %d, %v; want the new history's none", snap.V, err)
			}
			if list, _ := a.Participants(ctx, w.ID); len(list) != 1 {
				t.Errorf("got %d participants, want the 1 who joined before", len(list))
			}
		})
	}

	t.Run("workshop gone", func(t *testing.T) {
		w := storeWorkshop(t, a)
		if err := rdb.Del(ctx, keys(w.ID)[kWS]).Err(); err != nil {
			t.Fatalf("del: %v", err)
		}
		if _, err := a.Head(ctx, w.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Head: got %v, want ErrNotFound", err)
		}
		if _, err := a.Append(ctx, w.ID, 0, storeEntry(0)); !errors.Is(err, ErrNotFound) {
			t.Errorf("Append: got %v, want ErrNotFound", err)
		}
		rdb.Del(ctx, append(keys(w.ID), redisCodeKey(w.Code))...)
	})
}

func TestRedisStoreOnlineAcrossInstances(t *testing.T) {
	url := redisURL(t)
	a, b := openRedisStore(t, url), openRedisStore(t, url)
	rdb := redisAdmin(t)
	w := storeWorkshop(t, a)
	sub := storeSubscribe(t, b, w.ID) // a room on instance b
	storeWaitLive(t, a, w.ID, sub)
	// resynced waits for b's resync: up to storeWait for one that should
	// come, so that a slow one is not taken for the next step's, and a
	// while for one that should not.
	resynced := func(want bool) bool {
		wait := 300 * time.Millisecond
		if want {
			wait = storeWait
		}
		select {
		case <-sub.resyncs:
			return true
		case <-time.After(wait):
			return false
		}
	}
	for len(sub.resyncs) > 0 {
		<-sub.resyncs
	}
	p1, p2 := uuid.NewString(), uuid.NewString()

	steps := []struct {
		ids        []string
		wantResync bool
	}{
		{[]string{p1, p2}, true},
		{[]string{p2, p1}, false}, // a heartbeat with nothing new
		{[]string{p2}, true},
		{nil, true}, // the room on a ends
	}
	for _, step := range steps {
		if err := a.SetOnline(t.Context(), w.ID, "a", step.ids, time.Minute); err != nil {
			t.Fatalf("SetOnline(%v): %v", step.ids, err)
		}
		if got := resynced(step.wantResync); got != step.wantResync {
			t.Errorf("SetOnline(%v): instance b resynced %v, want %v", step.ids, got, step.wantResync)
		}
		storeWantOnline(t, b, w.ID, step.ids...)
	}

	// A record that lapses takes the key with it.
	if err := a.SetOnline(t.Context(), w.ID, "a", []string{p1}, 100*time.Millisecond); err != nil {
		t.Fatalf("SetOnline: %v", err)
	}
	key := redisKeys(w.ID)[kOnline]
	for deadline := time.Now().Add(storeWait); rdb.Exists(t.Context(), key).Val() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s is still there after its last record lapsed", key)
		}
	}
}

func TestRedisStoreSnapshotAheadOfLog(t *testing.T) {
	s := openRedisStore(t, redisURL(t))
	w := storeWorkshop(t, s)
	storeAppendN(t, s, w.ID, 0, 3)
	if err := s.PutSnapshot(t.Context(), w.ID, Snapshot{V: 4, Board: []byte(`{}`)}); err == nil {
		t.Errorf("PutSnapshot ahead of the log: got nil, want an error")
	}
	if snap, _ := s.Snapshot(t.Context(), w.ID); snap.V != 0 {
		t.Errorf("Snapshot = version %d, want 0", snap.V)
	}
}

func TestRedisStoreOneSubscriptionPerRoom(t *testing.T) {
	s := openRedisStore(t, redisURL(t))
	rdb := redisAdmin(t)
	w := storeWorkshop(t, s)
	ch := redisChannel(w.ID)
	numsub := func() int64 { return rdb.PubSubNumSub(t.Context(), ch).Val()[ch] }
	waitNumsub := func(want int64) {
		t.Helper()
		for deadline := time.Now().Add(storeWait); numsub() != want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("PUBSUB NUMSUB %s = %d, want %d", ch, numsub(), want)
			}
		}
	}

	a, b := storeSubscribe(t, s, w.ID), storeSubscribe(t, s, w.ID)
	waitNumsub(1)
	top := storeWaitLive(t, s, w.ID, a)
	a.unsub()
	time.Sleep(100 * time.Millisecond)
	waitNumsub(1)
	b.skipTo(t, top)
	b.expect(t, storeAppendN(t, s, w.ID, top, 2))
	b.unsub()
	waitNumsub(0)

	c := storeSubscribe(t, s, w.ID) // and back again
	waitNumsub(1)
	storeWaitLive(t, s, w.ID, c)
}

func TestRedisStoreUndecodableNewsResyncs(t *testing.T) {
	s := openRedisStore(t, redisURL(t))
	rdb := redisAdmin(t)
	w := storeWorkshop(t, s)
	sub := storeSubscribe(t, s, w.ID)
	storeWaitLive(t, s, w.ID, sub)
	for len(sub.resyncs) > 0 {
		<-sub.resyncs
	}
	if err := rdb.Publish(t.Context(), redisChannel(w.ID), "{not an entry").Err(); err != nil {
		t.Fatalf("publish: %v", err)
	}
	select {
	case <-sub.resyncs:
	case <-time.After(storeWait):
		t.Fatalf("resync was not called after undecodable news")
	}
	if n := len(sub.got); n > 0 {
		t.Errorf("%d entries delivered from undecodable news, want none", n)
	}
}

func TestRedisStoreCloseEndsGoroutines(t *testing.T) {
	s, err := OpenRedis(t.Context(), RedisConfig{URL: redisURL(t)}, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatalf("OpenRedis: %v", err)
	}
	w := storeNewWorkshop()
	if err := s.CreateWorkshop(t.Context(), w); err != nil {
		t.Fatalf("CreateWorkshop: %v", err)
	}
	sub := storeSubscribe(t, s, w.ID)
	storeWaitLive(t, s, w.ID, sub)
	if err := s.DeleteWorkshop(t.Context(), w.ID); err != nil {
		t.Fatalf("DeleteWorkshop: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	running := func() bool {
		buf := make([]byte, 1<<20)
		return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "(*RedisStore)")
	}
	for deadline := time.Now().Add(storeWait); running(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("store goroutines still running after Close")
		}
	}
	if err := s.Close(); err == nil {
		t.Errorf("second Close: got nil, want an error")
	}
}

// testServer is a redis-server of the test's own on a spare port, with
// every write fsynced, keeping its files in a directory of the test's.
type testServer struct {
	t    *testing.T
	bin  string
	addr string
	dir  string
	args []string // after the defaults, which they override
	cmd  *exec.Cmd
}

// startRedis starts a server, stopped when the test ends.
func startRedis(t *testing.T, args ...string) *testServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skipf("redis-server not found: %v", err)
	}
	srv := &testServer{t: t, bin: bin, addr: spareAddr(t), dir: t.TempDir(), args: args}
	srv.start()
	t.Cleanup(srv.kill)
	return srv
}

// start runs the server and waits until it answers.
func (srv *testServer) start() {
	t := srv.t
	t.Helper()
	_, port, _ := net.SplitHostPort(srv.addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", srv.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always"}, srv.args...)
	srv.cmd = exec.Command(srv.bin, args...)
	if err := srv.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr})
	defer rdb.Close()
	for deadline := time.Now().Add(storeWait); rdb.Ping(t.Context()).Err() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer", srv.addr)
		}
	}
}

// kill stops the server as a crash would.
func (srv *testServer) kill() {
	if srv.cmd != nil {
		srv.cmd.Process.Kill()
		srv.cmd.Wait()
		srv.cmd = nil
	}
}

func spareAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a spare port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestRedisStoreSurvivesRedisRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a Redis server: slow; run without -short")
	}
	srv := startRedis(t)
	s := openRedisStore(t, "redis://"+srv.addr+"/")
	ctx := t.Context()
	w := storeWorkshop(t, s)
	sub := storeSubscribe(t, s, w.ID)
	top := storeWaitLive(t, s, w.ID, sub)
	acked := storeAppendN(t, s, w.ID, top, 10)
	sub.skipTo(t, top+10)
	before, _ := s.Head(ctx, w.ID)
	for len(sub.resyncs) > 0 {
		<-sub.resyncs
	}

	srv.kill()
	pingCtx, cancel := context.WithTimeout(ctx, time.Second)
	if err := s.Ping(pingCtx); err == nil {
		t.Errorf("Ping with Redis down: got nil, want an error")
	}
	cancel()
	srv.start()

	select {
	case <-sub.resyncs:
	case <-time.After(3 * storeWait):
		t.Fatalf("resync was not called after Redis came back")
	}
	h, err := s.Head(ctx, w.ID)
	if err != nil || h != before {
		t.Fatalf("Head after restart = %+v, %v; want %+v", h, err, before)
	}
	got, err := s.Entries(ctx, w.ID, top)
	if err != nil {
		t.Fatalf("Entries after restart: %v", err)
	}
	storeSameEntries(t, got, acked)
	sub.expect(t, storeAppendN(t, s, w.ID, h.V, 3))
}

// TestRedisKeysAreTheRoomsKeys: redisKeys names each of a room's keys,
// hash-tagged by its id, in the order of the k constants, and allocates
// two things for them (the keys' text and the slice).
func TestRedisKeysAreTheRoomsKeys(t *testing.T) {
	id := uuid.NewString()
	want := []string{"wb:{" + id + "}:ws", "wb:{" + id + "}:meta", "wb:{" + id + "}:log", "wb:{" + id + "}:ops",
		"wb:{" + id + "}:people", "wb:{" + id + "}:snap", "wb:{" + id + "}:online", "wb:{" + id + "}:opv"}
	if got := redisKeys(id); !slices.Equal(got, want) {
		t.Fatalf("redisKeys = %q, want %q", got, want)
	}
	if got := redisKeys(id)[kOnline]; got != want[6] {
		t.Errorf("redisKeys(id)[kOnline] = %q, want %q", got, want[6])
	}
	if n := testing.AllocsPerRun(100, func() { redisKeys(id) }); n > 2 {
		t.Errorf("redisKeys allocates %v times, want at most 2", n)
	}
}
