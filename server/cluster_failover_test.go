package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub"
)

// clusterRoom is a workshop with phones on both instances.
type clusterRoom struct {
	w      created
	slot   int
	phones []*clusterPhone
}

// openClusterRooms starts two instances on the cluster, acknowledging an
// op once wait replicas have it, and n workshops, each with a phone on
// both.
func openClusterRooms(t *testing.T, c *testCluster, n, wait int) ([]*testServer, []*clusterRoom) {
	t.Helper()
	var srvs []*testServer
	for range 2 {
		cfg := hub.RedisConfig{Cluster: c.addrs, WaitReplicas: wait, WaitTimeout: time.Second}
		s, err := hub.OpenRedis(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		srvs = append(srvs, newTestServer(t, s))
	}
	admin := redis.NewClient(&redis.Options{Addr: c.addrs[0]})
	defer admin.Close()
	var rooms []*clusterRoom
	for i := range n {
		r := &clusterRoom{w: createWorkshop(t, srvs[i%2].URL, "Room "+strconv.Itoa(i))}
		slot, err := admin.ClusterKeySlot(t.Context(), "wb:{"+r.w.ID+"}:ws").Result()
		if err != nil {
			t.Fatal(err)
		}
		r.slot = int(slot)
		for _, srv := range srvs {
			r.phones = append(r.phones, joinClusterPhone(t, srv.URL, r.w.Code))
		}
		rooms = append(rooms, r)
	}
	return srvs, rooms
}

// converge checks that every phone of r ends on the board a fresh join
// gets (version, epoch and cards), and returns that phone.
func (r *clusterRoom) converge(t *testing.T, base string) *clusterPhone {
	t.Helper()
	fresh := joinClusterPhone(t, base, r.w.Code)
	for deadline := time.Now().Add(frameWait); ; time.Sleep(20 * time.Millisecond) {
		fresh.drain(t)
		same := true
		for _, p := range r.phones {
			p.drain(t)
			same = same && p.v == fresh.v && p.epoch == fresh.epoch
		}
		if same {
			break
		}
		if time.Now().After(deadline) {
			for k, p := range r.phones {
				t.Errorf("phone %d at v%d epoch %s", k, p.v, p.epoch)
			}
			t.Fatalf("phones did not converge within %v on a fresh join's v%d epoch %s", frameWait, fresh.v, fresh.epoch)
		}
	}
	for k, p := range r.phones {
		if !maps.Equal(p.cards, fresh.cards) {
			t.Errorf("phone %d at v%d has cards %v, a fresh join %v", k, p.v, p.cards, fresh.cards)
		}
	}
	return fresh
}

// TestClusterFailover: a 3-master, 3-replica cluster, two instances,
// phones on both. A master that owns live workshops is killed; once its
// replica is promoted, the phones of those workshops keep adding cards
// and every phone ends on the board a fresh join gets. Without WAIT an op
// acknowledged just before the kill may not have reached the replica:
// then the room must have started a new epoch, never mixed the histories.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 6-node Redis Cluster")
	}
	clusterFailover(t, 1, 0)
}

// TestClusterFailoverWaiting: the same with two replicas per master and
// instances that wait for one of them before each ack (REDIS_WAIT_REPLICAS
// 1). No acknowledged op may be missing after the promotion, whatever the
// epoch: the promoted replica had every one. Until the other replica
// follows the new master, ops in its workshops are refused as unavailable
// and sent again.
func TestClusterFailoverWaiting(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 9-node Redis Cluster")
	}
	clusterFailover(t, 2, 1)
}

// clusterFailover kills a master of a cluster of three with replicas
// replicas each, served by instances that wait for wait replicas, and
// checks what TestClusterFailover says.
func clusterFailover(t *testing.T, replicas, wait int) {
	c := startCluster(t, replicas)
	admin := redis.NewClient(&redis.Options{Addr: c.addrs[0]})
	defer admin.Close()
	srvs, rooms := openClusterRooms(t, c, 6, wait)
	for _, r := range rooms {
		for k, p := range r.phones {
			p.add(t, fmt.Sprint("before ", k))
		}
	}
	owners := slotOwners(t, admin)
	victim := owners[rooms[0].slot]
	hit := 0 // workshops on the killed master
	epochs := map[*clusterRoom]string{}
	before := map[*clusterPhone]map[string]string{} // acknowledged before the kill
	for _, r := range rooms {
		if owners[r.slot] == victim {
			hit++
		}
		epochs[r] = r.phones[0].epoch
		for _, p := range r.phones {
			before[p], p.acked = p.acked, map[string]string{}
		}
	}
	c.kill(victim)
	t.Logf("killed master %s, owner of %d of %d workshops", victim, hit, len(rooms))

	for _, r := range rooms { // served on, across the promotion
		for i := range 3 {
			for k, p := range r.phones {
				p.add(t, fmt.Sprint("after ", i, " on ", k))
			}
		}
	}
	live := redis.NewClient(&redis.Options{Addr: liveNode(c, victim)})
	defer live.Close()
	if owner := slotOwners(t, live)[rooms[0].slot]; owner == victim || owner == "" {
		t.Fatalf("slot %d owned by %q after the kill, want a promoted replica", rooms[0].slot, owner)
	}
	for i, r := range rooms {
		fresh := r.converge(t, srvs[i%2].URL)
		lostAllowed := wait == 0 && fresh.epoch != epochs[r]
		if fresh.epoch != epochs[r] {
			t.Logf("workshop %d: a new epoch after the failover (the replica missed ops)", i)
		}
		for _, p := range r.phones {
			missing := func(acked map[string]string, when string) {
				for id, text := range acked {
					if fresh.cards[id] != text {
						t.Errorf("workshop %d: card %q acknowledged %s the kill is missing", i, text, when)
					}
				}
			}
			missing(p.acked, "after")
			if !lostAllowed {
				missing(before[p], "before")
			}
		}
	}
}

// liveNode is a node of c other than dead.
func liveNode(c *testCluster, dead string) string {
	for _, a := range c.addrs {
		if a != dead {
			return a
		}
	}
	return ""
}

// TestClusterSlotMigration: the slot of a live workshop moves to another
// master (CLUSTER SETSLOT IMPORTING and MIGRATING, MIGRATE of its keys,
// SETSLOT NODE, as redis-cli --cluster reshard does for each slot) while
// its phones keep adding cards. Every acknowledged card is on the board
// after, every phone ends on it, and news of ops made after the move
// still reaches both instances, now from the new owner.
func TestClusterSlotMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	c := startCluster(t, 0)
	admin := redis.NewClient(&redis.Options{Addr: c.addrs[0]})
	defer admin.Close()
	srvs, rooms := openClusterRooms(t, c, 1, 0)
	r := rooms[0]
	from := slotOwners(t, admin)[r.slot]
	to := liveNode(c, from)

	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- migrateSlot(t.Context(), from, to, r.slot, stop) }()
	for i := 0; ; i++ { // the phones work on while the slot moves
		for k, p := range r.phones {
			p.add(t, fmt.Sprint("during ", i, " on ", k))
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("migrate slot %d from %s to %s: %v", r.slot, from, to, err)
			}
		default:
			continue
		}
		break
	}
	close(stop)
	if owner := slotOwners(t, admin)[r.slot]; owner != to {
		t.Fatalf("slot %d owned by %s after the move, want %s", r.slot, owner, to)
	}
	for i := range 3 {
		for k, p := range r.phones {
			p.add(t, fmt.Sprint("after ", i, " on ", k))
		}
	}
	fresh := r.converge(t, srvs[0].URL)
	for _, p := range r.phones {
		for id, text := range p.acked {
			if fresh.cards[id] != text {
				t.Errorf("acknowledged card %q missing after the move", text)
			}
		}
	}
	// The news now comes by the new owner: each instance has a shard
	// subscriber there, and none is left on the old owner.
	for addr, want := range map[string]int64{to: 2, from: 0} {
		n := redis.NewClient(&redis.Options{Addr: addr})
		defer n.Close()
		ch := "wb:{" + r.w.ID + "}:ch"
		for deadline := time.Now().Add(frameWait); ; time.Sleep(50 * time.Millisecond) {
			got, err := n.PubSubShardNumSub(t.Context(), ch).Result()
			if err != nil {
				t.Fatal(err)
			}
			if got[ch] == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s: %d subscribers of %s, want %d", addr, got[ch], ch, want)
			}
		}
	}
}

// migrateSlot moves one slot from one master to another, as redis-cli
// --cluster reshard does, a few keys at a time, pausing between batches
// so that the phones work while the slot is half moved.
func migrateSlot(ctx context.Context, from, to string, slot int, stop <-chan struct{}) error {
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
	host, port, _ := strings.Cut(to, ":")
	for {
		keys, err := src.ClusterGetKeysInSlot(ctx, slot, 2).Result()
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			break
		}
		args := append([]any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}, toAny(keys)...)
		if err := src.Do(ctx, args...).Err(); err != nil {
			return fmt.Errorf("migrate %v: %w", keys, err)
		}
		select {
		case <-stop:
			return fmt.Errorf("stopped")
		case <-time.After(200 * time.Millisecond):
		}
	}
	for _, n := range []*redis.Client{dst, src} {
		if err := n.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err(); err != nil {
			return fmt.Errorf("setslot node: %w", err)
		}
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
