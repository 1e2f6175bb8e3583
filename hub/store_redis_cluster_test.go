package hub

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub/board"
)

// clusterWait bounds how long a test cluster may take to form.
const clusterWait = 20 * time.Second

// startRedisCluster starts a Redis Cluster of three masters and no
// replicas on spare ports, stopped when the test ends, and returns its
// nodes' addresses. It skips the test without redis-server and
// redis-cli, and fails it under CI.
func startRedisCluster(t *testing.T) []string {
	t.Helper()
	server, err1 := exec.LookPath("redis-server")
	cli, err2 := exec.LookPath("redis-cli")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server and redis-cli are needed for a test cluster: %v %v", err1, err2)
		}
		t.Skipf("redis-server and redis-cli are needed for a test cluster (install redis 7): %v %v", err1, err2)
	}
	dir := t.TempDir()
	var addrs []string
	for range 3 {
		addr, _ := startClusterNode(t, server, dir)
		addrs = append(addrs, addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	out, err := exec.Command(cli, append(args, "--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, addr := range addrs {
		waitRedis(t, addr, func(c *redis.Client) bool {
			info, err := c.ClusterInfo(t.Context()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
	}
	return addrs
}

// startClusterNode starts one cluster node and returns its address. Ports
// come from below the system's ephemeral range, where the many client
// connections of tests running beside this one cannot take them between
// the check and the bind; a node that does not answer within a few
// seconds (its port taken after all) is stopped and started again on
// other ports, so that a busy machine cannot fail the test this way.
func startClusterNode(t *testing.T, server, dir string, extra ...string) (string, *exec.Cmd) {
	t.Helper()
	var last string
	for range 10 {
		port, bus := freeLowPort(t), freeLowPort(t)
		if port == bus {
			continue
		}
		var out bytes.Buffer
		args := append([]string{"--port", port, "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-port", bus,
			"--cluster-config-file", "nodes-" + port + ".conf", "--dir", dir, "--save", "", "--appendonly", "no"}, extra...)
		cmd := exec.Command(server, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		addr := "127.0.0.1:" + port
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		up := false
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if c.Ping(t.Context()).Err() == nil {
				up = true
				break
			}
		}
		c.Close()
		if up {
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			return addr, cmd
		}
		cmd.Process.Kill()
		cmd.Wait()
		last = out.String()
	}
	t.Fatalf("no redis cluster node would start in 10 tries; the last said:\n%s", last)
	return "", nil
}

// freeLowPort is a port below the ephemeral range that nothing listens on now.
func freeLowPort(t *testing.T) string {
	t.Helper()
	for range 100 {
		port := strconv.Itoa(20000 + rand.IntN(12000))
		if l, err := net.Listen("tcp", "127.0.0.1:"+port); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port below the ephemeral range")
	return ""
}

// waitRedis polls one node until ready says it is.
func waitRedis(t *testing.T, addr string, ready func(*redis.Client) bool) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for deadline := time.Now().Add(clusterWait); !ready(c); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redis node %s not ready within %v", addr, clusterWait)
		}
	}
}

// openClusterStore opens a store on the cluster, as one instance would.
func openClusterStore(t *testing.T, addrs []string) *RedisStore {
	t.Helper()
	s, err := OpenRedis(t.Context(), RedisConfig{Cluster: addrs}, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatalf("OpenRedis on a cluster: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRedisClusterStoreConformance(t *testing.T) {
	addrs := startRedisCluster(t)
	testStoreConformance(t, func(t *testing.T) Store { return openClusterStore(t, addrs) })
}

// TestRedisClusterSlots: the store computes slots as the cluster does, and
// every key and the channel of a room are in one slot.
func TestRedisClusterSlots(t *testing.T) {
	addrs := startRedisCluster(t)
	c := redis.NewClient(&redis.Options{Addr: addrs[0]})
	defer c.Close()
	for _, key := range []string{"", "a", "wb:code:ABC123", "{}x", "x{}{y}", "wb:{x}:ws", "123456789"} {
		want, err := c.ClusterKeySlot(t.Context(), key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := redisSlot(key); int64(got) != want {
			t.Errorf("redisSlot(%q) = %d, want %d", key, got, want)
		}
	}
	id := "0b6f1c7e-2c55-4b8e-9d1e-8f1f7f0f6a01"
	want := redisSlot(redisChannel(id))
	for _, k := range redisKeys(id) {
		if got := redisSlot(k); got != want {
			t.Errorf("key %s in slot %d, channel in %d", k, got, want)
		}
	}
}

// TestRedisClusterNewsAcrossInstances: two instances on a cluster hear of
// each other's appends in rooms spread over the masters, by sharded
// pub/sub, and a room's unsubscribe leaves the others heard.
func TestRedisClusterNewsAcrossInstances(t *testing.T) {
	addrs := startRedisCluster(t)
	a, b := openClusterStore(t, addrs), openClusterStore(t, addrs)
	ctx := t.Context()
	const rooms = 12
	heard := make(chan board.Entry, rooms*2)
	resynced := make(chan int, rooms*8)
	var ws []board.Workshop
	var stops []func()
	slots := map[int]bool{}
	for i := range rooms {
		w := storeWorkshop(t, a)
		ws = append(ws, w)
		slots[redisSlot(redisChannel(w.ID))] = true
		stops = append(stops, b.Subscribe(w.ID, func(e board.Entry) { heard <- e },
			func() { resynced <- i }))
	}
	confirmed := map[int]bool{}
	for len(confirmed) < rooms { // each room's subscription took effect
		select {
		case i := <-resynced:
			confirmed[i] = true
		case <-time.After(storeWait):
			t.Fatal("a subscription was not confirmed")
		}
	}
	stops[0]()
	for i, w := range ws {
		e := storeEntry(i)
		e.ID = fmt.Sprint("op-", i)
		if _, err := a.Append(ctx, w.ID, 0, e); err != nil {
			t.Fatalf("append to room %d: %v", i, err)
		}
	}
	got := map[string]bool{}
	for len(got) < rooms-1 {
		select {
		case e := <-heard:
			got[e.ID] = true
		case <-time.After(storeWait):
			t.Fatalf("heard %d of %d rooms' news: %v", len(got), rooms-1, got)
		}
	}
	if got["op-0"] {
		t.Error("news of an unsubscribed room was delivered")
	}
	t.Logf("%d rooms in %d slots", rooms, len(slots))
	// Sharded: the room's channel is subscribed on its slot's node alone.
	ch, holders := redisChannel(ws[1].ID), 0
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		n, err := c.PubSubShardNumSub(ctx, ch).Result()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if n[ch] > 0 {
			holders++
		}
	}
	if holders != 1 {
		t.Errorf("%s subscribed on %d nodes, want 1 (sharded pub/sub)", ch, holders)
	}
	for _, stop := range stops[1:] {
		stop()
	}
}
