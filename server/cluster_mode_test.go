package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// Test cluster timings.
const (
	// clusterWait bounds how long a test cluster may take to form.
	clusterWait = 20 * time.Second
	// clusterNodeTimeout (ms) is how long a test cluster's node may be
	// silent before it is deemed failed and a replica takes over.
	clusterNodeTimeout = 2000
)

// startRedisCluster starts a Redis Cluster of three masters on spare
// ports, stopped when the test ends, and returns its nodes' addresses; it
// skips the test without redis-server and redis-cli, and fails it under
// CI. (The hub's tests start theirs the same way: test helpers do not
// cross packages.)
func startRedisCluster(t *testing.T) []string {
	return startCluster(t, 0).addrs
}

// testCluster is a Redis Cluster of the test's own.
type testCluster struct {
	addrs []string             // every node, masters and replicas
	procs map[string]*exec.Cmd // by address
}

// kill stops the node at addr as a crash would (kill -9).
func (c *testCluster) kill(addr string) {
	c.procs[addr].Process.Kill()
	c.procs[addr].Wait()
}

// startCluster starts three masters, each with replicas replicas, and
// waits until the cluster serves every slot and each replica has synced.
// A node is deemed failed after clusterNodeTimeout, so that a replica
// takes over from a killed master within seconds.
func startCluster(t *testing.T, replicas int) *testCluster {
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
	c := &testCluster{procs: map[string]*exec.Cmd{}}
	for range 3 * (1 + replicas) {
		addr, cmd := startClusterNode(t, server, dir, "--cluster-node-timeout", strconv.Itoa(clusterNodeTimeout))
		c.addrs = append(c.addrs, addr)
		c.procs[addr] = cmd
	}
	args := append([]string{"--cluster", "create"}, c.addrs...)
	if out, err := exec.Command(cli, append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, addr := range c.addrs {
		waitNode(t, addr, func(c *redis.Client) bool {
			info, err := c.ClusterInfo(t.Context()).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				return false
			}
			repl, err := c.Info(t.Context(), "replication").Result()
			return err == nil && (strings.Contains(repl, "role:master") || strings.Contains(repl, "master_link_status:up"))
		})
	}
	return c
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

// waitNode polls one node until ready says it is.
func waitNode(t *testing.T, addr string, ready func(*redis.Client) bool) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for deadline := time.Now().Add(clusterWait); !ready(c); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redis node %s not ready within %v", addr, clusterWait)
		}
	}
}

// slotOwners maps each slot to the address of the master serving it, from
// CLUSTER NODES.
func slotOwners(t *testing.T, c *redis.Client) map[int]string {
	t.Helper()
	nodes, err := c.ClusterNodes(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	owners := map[int]string{}
	sc := bufio.NewScanner(strings.NewReader(nodes))
	for sc.Scan() {
		f := strings.Fields(sc.Text()) // id addr@bus flags master ping pong epoch state slots...
		if len(f) < 9 || !strings.Contains(f[2], "master") {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		for _, r := range f[8:] {
			from, to, ok := strings.Cut(r, "-")
			if !ok {
				to = from
			}
			lo, err1 := strconv.Atoi(from)
			hi, err2 := strconv.Atoi(to)
			if err1 != nil || err2 != nil {
				continue // a slot being moved, "[...]"
			}
			for s := lo; s <= hi; s++ {
				owners[s] = addr
			}
		}
	}
	return owners
}

// TestClusterSetting: REDIS_CLUSTER and -redis-cluster name seed nodes; a
// list that is not host:port, or one given with a Redis URL, is refused.
func TestClusterSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
		bad  bool
	}{
		{"none", nil, nil, nil, false},
		{"env", nil, map[string]string{"REDIS_CLUSTER": "10.0.0.1:7000, 10.0.0.2:7000"}, []string{"10.0.0.1:7000", "10.0.0.2:7000"}, false},
		{"flag over env", []string{"-redis-cluster", "a:1"}, map[string]string{"REDIS_CLUSTER": "b:2"}, []string{"a:1"}, false},
		{"no port", nil, map[string]string{"REDIS_CLUSTER": "a:1,b"}, nil, true},
		{"both", []string{"-redis", "redis://x:6379"}, map[string]string{"REDIS_CLUSTER": "a:1"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.bad != (err != nil) || (!tc.bad && !slices.Equal(c.redisCluster, tc.want)) {
				t.Errorf("got %q, %v; want %q (refused: %v)", c.redisCluster, err, tc.want, tc.bad)
			}
		})
	}
}

// TestClusterMode: two instances on a 3-master Redis Cluster serve 30
// workshops spread over the masters. Phones on both get every op in
// order and end on one board; a phone resumes with since on the other
// instance; a removal and a delete made on one instance reach phones on
// the other.
func TestClusterMode(t *testing.T) {
	addrs := startRedisCluster(t)
	open := func() hub.Store {
		s, err := hub.OpenRedis(context.Background(), hub.RedisConfig{Cluster: addrs}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	one, two := newTestServer(t, open()), newTestServer(t, open())
	admin := redis.NewClient(&redis.Options{Addr: addrs[0]})
	defer admin.Close()
	owners := slotOwners(t, admin)

	const workshops, each = 30, 3
	type room struct {
		w      created
		phones [2]*wsClient // on one and on two
	}
	rooms := make([]room, workshops)
	masters := map[string]int{}
	for i := range rooms {
		r := &rooms[i]
		r.w = createWorkshop(t, []string{one.URL, two.URL}[i%2], "Cluster "+strconv.Itoa(i))
		slot, err := admin.ClusterKeySlot(t.Context(), "wb:{"+r.w.ID+"}:ws").Result()
		if err != nil {
			t.Fatal(err)
		}
		masters[owners[int(slot)]]++
		for k, srv := range []*testServer{one, two} {
			r.phones[k] = dial(t, srv.URL)
			r.phones[k].join(map[string]any{"code": r.w.Code, "role": "staff"})
			r.phones[k].board = board.NewBoard()
		}
	}
	if len(masters) < 2 {
		t.Fatalf("30 workshops on masters %v, want more than one", masters)
	}
	for _, r := range rooms { // both phones send at once, then read
		for _, p := range r.phones {
			for j := range each {
				p.op(addCard("card "+strconv.Itoa(j), board.Stages[j%4], board.Levels[j%3]))
			}
		}
	}
	for i, r := range rooms {
		for _, p := range r.phones {
			for p.board.V < 2*each {
				f := p.next()
				if str(f["t"]) == "op" {
					p.applyOp(f) // fails on a version out of order
				} else if typ := str(f["t"]); typ == "nack" || typ == "error" {
					t.Fatalf("workshop %d: %s", i, mustJSON(f))
				}
			}
		}
		a, b := mustJSON(r.phones[0].board.View(board.Viewer{}, board.Workshop{}, nil)), mustJSON(r.phones[1].board.View(board.Viewer{}, board.Workshop{}, nil))
		if string(a) != string(b) || len(r.phones[0].board.Cards) != 2*each {
			t.Fatalf("workshop %d: boards differ or lack cards:\n%s\n%s", i, a, b)
		}
	}
	t.Logf("workshops per master: %v", masters)

	// Resume with since: a phone of instance one comes back on two after
	// ops it missed, and gets just those.
	r := rooms[0]
	gone := r.phones[0]
	gone.ws.Close()
	since := gone.board.V
	for range 2 {
		r.phones[1].ack(r.phones[1].op(addCard("while away", nil, nil)))
	}
	back := dial(t, two.URL)
	welcome := back.join(map[string]any{"code": r.w.Code, "token": gone.you.Token, "since": since, "epoch": gone.epoch})
	var ops []board.Entry
	json.Unmarshal(welcome["ops"], &ops)
	if welcome["board"] != nil || len(ops) != 2 || ops[0].V != since+1 {
		t.Errorf("resume with since %d: got %d ops from v%d and a board (%v), want 2 ops from v%d", since, len(ops), firstV(ops), welcome["board"] != nil, since+1)
	}

	// Removal made on instance one reaches the phone on two.
	r = rooms[1]
	fac := dial(t, one.URL)
	fac.join(map[string]any{"code": r.w.Code, "key": r.w.FacilitatorKey})
	if _, code := fac.ack(fac.op(map[string]any{"kind": "participant.remove", "participantId": r.phones[1].you.ID, "removeCards": false})); code != "" {
		t.Fatalf("remove: refused with %s", code)
	}
	if f := waitFrame(t, r.phones[1], "error"); str(f["code"]) != board.CodeRemoved {
		t.Errorf("removed phone on the other instance: got error %s, want removed", f["code"])
	}

	// A delete on instance one reaches the phone on two, and the code no
	// longer joins there.
	r = rooms[2]
	req, _ := http.NewRequest(http.MethodDelete, one.URL+"/api/workshops/"+r.w.ID, nil)
	req.Header.Set("Authorization", "Bearer "+r.w.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: status %d, want 204", res.StatusCode)
	}
	if f := waitFrame(t, r.phones[1], "error"); str(f["code"]) != board.CodeDeleted {
		t.Errorf("phone on the other instance after the delete: got error %s, want deleted", f["code"])
	}
	late := dial(t, two.URL)
	late.sendJSON(map[string]any{"t": "join", "code": r.w.Code, "role": "staff"})
	if f := waitFrame(t, late, "error"); str(f["code"]) == "" {
		t.Errorf("join to a deleted workshop: got error %v, want a code", f)
	}
}

// firstV is the version of the first entry, or 0.
func firstV(ops []board.Entry) int64 {
	if len(ops) == 0 {
		return 0
	}
	return ops[0].V
}
