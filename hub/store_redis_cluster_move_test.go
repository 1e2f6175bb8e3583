package hub

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub/board"
)

// TestRedisClusterNewsFollowsSlot: a room's slot moves to another master
// while an instance is subscribed to it. The instance resubscribes on the
// new owner, its room resyncs (news may have been missed), and news of an
// append made after the move reaches it from there.
func TestRedisClusterNewsFollowsSlot(t *testing.T) {
	addrs := startRedisCluster(t)
	a, b := openClusterStore(t, addrs), openClusterStore(t, addrs)
	ctx := t.Context()
	w := storeWorkshop(t, a)
	ch := redisChannel(w.ID)
	heard := make(chan board.Entry, 8)
	resynced := make(chan struct{}, 64)
	stop := b.Subscribe(w.ID, func(e board.Entry) { heard <- e }, func() { resynced <- struct{}{} })
	defer stop()
	waitFor(t, resynced, "the subscription's confirmation")
	append1 := func(expected int64) {
		t.Helper()
		e := storeEntry(int(expected))
		if _, err := a.Append(ctx, w.ID, expected, e); err != nil {
			t.Fatalf("append at %d: %v", expected, err)
		}
		select {
		case got := <-heard:
			if got.ID != e.ID {
				t.Fatalf("heard op %s, want %s", got.ID, e.ID)
			}
		case <-time.After(storeWait):
			t.Fatalf("news of the append at %d not heard", expected)
		}
	}
	append1(0)

	from := b.slotMaster(ctx, ch)
	to := addrs[0]
	if to == from {
		to = addrs[1]
	}
	for len(resynced) > 0 {
		<-resynced
	}
	if err := moveSlot(ctx, from, to, redisSlot(ch)); err != nil {
		t.Fatalf("move slot %d from %s to %s: %v", redisSlot(ch), from, to, err)
	}
	waitFor(t, resynced, "a resync after the move")
	append1(1)
	for addr, want := range map[string]int64{to: 1, from: 0} { // the subscriber settles on the new owner
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		for deadline := time.Now().Add(storeWait); ; time.Sleep(50 * time.Millisecond) {
			n, err := c.PubSubShardNumSub(ctx, ch).Result()
			if err != nil {
				t.Fatal(err)
			}
			if n[ch] == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s: %d subscribers of %s, want %d", addr, n[ch], ch, want)
			}
		}
	}
}

// waitFor waits for one signal on c.
func waitFor(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(storeWait):
		t.Fatalf("no %s within %v", what, storeWait)
	}
}

// moveSlot moves one slot between masters as redis-cli --cluster reshard
// does: IMPORTING and MIGRATING, MIGRATE of its keys, then SETSLOT NODE.
func moveSlot(ctx context.Context, from, to string, slot int) error {
	src, dst := redis.NewClient(&redis.Options{Addr: from}), redis.NewClient(&redis.Options{Addr: to})
	defer src.Close()
	defer dst.Close()
	srcID, err := src.ClusterMyID(ctx).Result()
	if err != nil {
		return err
	}
	dstID, err := dst.ClusterMyID(ctx).Result()
	if err != nil {
		return err
	}
	if err := dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", srcID).Err(); err != nil {
		return fmt.Errorf("importing: %w", err)
	}
	if err := src.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", dstID).Err(); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	keys, err := src.ClusterGetKeysInSlot(ctx, slot, 100).Result()
	if err != nil {
		return err
	}
	host, port, _ := strings.Cut(to, ":")
	args := []any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}
	for _, k := range keys {
		args = append(args, k)
	}
	if err := src.Do(ctx, args...).Err(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, n := range []*redis.Client{dst, src} {
		if err := n.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err(); err != nil {
			return fmt.Errorf("setslot node: %w", err)
		}
	}
	return nil
}
