package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub/board"
)

// redisProc is a redis-server of the test's own on a spare port, in a
// directory of the test's, started with args.
type redisProc struct {
	t    *testing.T
	addr string
	dir  string
	args []string
	cmd  *exec.Cmd
}

func startRedisProc(t *testing.T, args ...string) *redisProc {
	t.Helper()
	if testing.Short() {
		t.Skip("runs redis-server and the server binary")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skipf("redis-server not found: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &redisProc{t: t, addr: l.Addr().String(), dir: t.TempDir(), args: args}
	l.Close()
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *redisProc) start() {
	r.t.Helper()
	_, port, _ := net.SplitHostPort(r.addr)
	r.cmd = exec.Command("redis-server", append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always"}, r.args...)...)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	rdb := r.admin()
	for deadline := time.Now().Add(10 * time.Second); rdb.Ping(context.Background()).Err() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s did not answer", r.addr)
		}
	}
}

// kill stops the server as a crash would (kill -9).
func (r *redisProc) kill() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// admin is a plain client of the server, closed when the test ends.
func (r *redisProc) admin() *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: r.addr})
	r.t.Cleanup(func() { rdb.Close() })
	return rdb
}

// phone is a participant who remembers where it stood, as a phone does:
// the last version it saw (its own last op's) and the op id there.
type phone struct {
	*wsClient
	code   string
	v      int64
	lastID string
}

// joinPhone joins someone new.
func joinPhone(t *testing.T, base, code string) *phone {
	c := dial(t, base)
	c.join(map[string]any{"code": code, "role": "serviceUser"})
	return &phone{wsClient: c, code: code}
}

// add sends n cards, one after another, each acknowledged.
func (p *phone) add(t *testing.T, text string, n int) {
	t.Helper()
	for i := range n {
		id := p.op(addCard(fmt.Sprint(text, " ", i), nil, nil))
		v, code := p.ack(id)
		if code != "" || v <= p.v {
			t.Fatalf("op refused (%q) or acked at %d, at or before %d", code, v, p.v)
		}
		p.v, p.lastID = v, id
	}
}

// resume joins again as the same person, from where the phone stood.
func (p *phone) resume(t *testing.T, base string) map[string]json.RawMessage {
	t.Helper()
	c := dial(t, base)
	return c.join(map[string]any{"code": p.code, "token": p.you.Token, "since": p.v, "epoch": p.epoch, "sinceId": p.lastID})
}

// cardsOf lists a welcome board's cards, as id and text, in board order.
func cardsOf(t *testing.T, welcome map[string]json.RawMessage) []string {
	t.Helper()
	if welcome["board"] == nil {
		t.Fatalf("welcome at v %s has no board (ops %s)", welcome["v"], welcome["ops"])
	}
	var b board.BoardView
	if err := json.Unmarshal(welcome["board"], &b); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range b.Cards {
		text := ""
		if c.Text != nil {
			text = *c.Text
		}
		out = append(out, c.ID+" "+text)
	}
	return out
}

// sameBoard checks that a phone resuming from the lost window gets the
// whole board, not ops, and exactly the one a fresh join gets.
func sameBoard(t *testing.T, base string, lost *phone, wantCards int) {
	t.Helper()
	got := lost.resume(t, base)
	if got["ops"] != nil {
		t.Fatalf("resume from the lost window got ops %s, want the whole board", got["ops"])
	}
	fresh := dial(t, base).join(map[string]any{"code": lost.code, "token": lost.you.Token})
	gotCards, freshCards := cardsOf(t, got), cardsOf(t, fresh)
	if !slices.Equal(gotCards, freshCards) || string(got["v"]) != string(fresh["v"]) || str(got["epoch"]) != str(fresh["epoch"]) {
		t.Errorf("resumed board v %s %v, want the board everyone has: v %s %v", got["v"], gotCards, fresh["v"], freshCards)
	}
	if len(freshCards) != wantCards {
		t.Errorf("board has %d cards, want %d", len(freshCards), wantCards)
	}
}

// TestRewindSnapshotRestore: Redis is killed and started again from a
// snapshot older than acknowledged ops. An instance that saw those ops
// starts a new epoch and moves its connected phones to the board Redis
// has; with no instance left that saw them, the op id a phone names at
// since (sinceId) still tells it from the new history's op there. Either
// way a phone from the lost window ends with the board everyone has.
func TestRewindSnapshotRestore(t *testing.T) {
	for _, remembers := range []bool{true, false} {
		t.Run(fmt.Sprint("instance remembers ", remembers), func(t *testing.T) {
			r := startRedisProc(t, "--appendonly", "no")
			env := []string{"REDIS_URL=redis://" + r.addr + "/0"}
			p := startProcess(t, env)
			w := createWorkshop(t, p.URL, "Rewind")
			stays, lost := joinPhone(t, p.URL, w.Code), joinPhone(t, p.URL, w.Code)
			stays.add(t, "kept", 3)
			if err := r.admin().Save(t.Context()).Err(); err != nil {
				t.Fatalf("SAVE: %v", err)
			}
			lost.add(t, "lost", 3) // acknowledged, then lost with Redis
			lost.ws.Close()
			oldEpoch := lost.epoch

			r.kill()
			if !remembers {
				p.kill()
			}
			r.start()
			if remembers {
				welcome := stays.expect("welcome")
				if str(welcome["epoch"]) == oldEpoch || string(welcome["v"]) != "3" || len(cardsOf(t, welcome)) != 3 {
					t.Errorf("connected phone got welcome v %s in epoch %q (old %q), want v 3 with 3 cards in a new epoch",
						welcome["v"], str(welcome["epoch"]), oldEpoch)
				}
			} else {
				p = startProcess(t, env)
			}
			// The history goes on: versions 4 to 6 are other ops now.
			joinPhone(t, p.URL, w.Code).add(t, "new", 3)
			sameBoard(t, p.URL, lost, 6)
		})
	}
}

// switchProxy forwards TCP connections to a Redis it can switch, as a
// failover behind one address does: switching cuts every connection.
type switchProxy struct {
	l      net.Listener
	mu     sync.Mutex // guards target and conns
	target string
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *switchProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{l: l, target: target}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
	t.Cleanup(func() { l.Close(); <-done; p.switchTo("") })
	return p
}

func (p *switchProxy) pipe(c net.Conn) {
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	u, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, u)
	p.mu.Unlock()
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

func (p *switchProxy) switchTo(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestRewindReplicaPromoted: a replica stops replicating, misses
// acknowledged ops, and is promoted (REPLICAOF NO ONE) in the primary's
// place. The instance notices and starts a new epoch; a phone from the
// lost window ends with the board everyone has.
func TestRewindReplicaPromoted(t *testing.T) {
	primary := startRedisProc(t)
	replica := startRedisProc(t, "--replicaof", strings.Replace(primary.addr, ":", " ", 1))
	proxy := startProxy(t, primary.addr)
	p := startProcess(t, []string{"REDIS_URL=redis://" + proxy.l.Addr().String() + "/0"})
	w := createWorkshop(t, p.URL, "Failover")
	stays, lost := joinPhone(t, p.URL, w.Code), joinPhone(t, p.URL, w.Code)
	stays.add(t, "kept", 3)
	ctx := t.Context()
	if n, err := primary.admin().Do(ctx, "WAIT", 1, 10000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT for the replica: %d, %v", n, err)
	}
	// The replica loses its primary (pointed at a port no one serves) and
	// so misses what follows.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	_, dead, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	if err := replica.admin().Do(ctx, "REPLICAOF", "127.0.0.1", dead).Err(); err != nil {
		t.Fatalf("REPLICAOF: %v", err)
	}
	lost.add(t, "lost", 3)
	lost.ws.Close()
	oldEpoch := lost.epoch

	if err := replica.admin().Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatalf("REPLICAOF NO ONE: %v", err)
	}
	primary.kill()
	proxy.switchTo(replica.addr)
	welcome := stays.expect("welcome")
	if str(welcome["epoch"]) == oldEpoch || string(welcome["v"]) != "3" {
		t.Errorf("connected phone got welcome v %s in epoch %q (old %q), want v 3 in a new epoch", welcome["v"], str(welcome["epoch"]), oldEpoch)
	}
	joinPhone(t, p.URL, w.Code).add(t, "new", 3)
	sameBoard(t, p.URL, lost, 6)
}

// TestRedisKeysExpireAfterKill: a server killed with SIGKILL in the middle
// of a workshop leaves no Redis key without an expiry, nor one that
// outlives the retention; deleting the workshop then leaves no key of it.
func TestRedisKeysExpireAfterKill(t *testing.T) {
	r := startRedisProc(t)
	const retention = time.Hour
	env := []string{"REDIS_URL=redis://" + r.addr + "/0", "RETENTION=" + retention.String()}
	p := startProcess(t, env)
	w := createWorkshop(t, p.URL, "Kept no longer than promised")
	phones := []*phone{joinPhone(t, p.URL, w.Code), joinPhone(t, p.URL, w.Code), joinPhone(t, p.URL, w.Code), joinPhone(t, p.URL, w.Code)}
	for _, ph := range phones { // past a snapshot, 200 versions
		ph.add(t, "card", 55)
	}
	phones[0].op(addCard("in flight", nil, nil))
	p.kill()

	rdb, ctx := r.admin(), t.Context()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{":snap", ":log", ":ops", ":people", ":meta", ":ws", "wb:code:"} {
		if !slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, want) }) {
			t.Errorf("no key like %q among %v", want, keys)
		}
	}
	for _, k := range keys {
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > retention {
			t.Errorf("key %s expires in %v, want within %v", k, ttl, retention)
		}
	}

	p = startProcess(t, env)
	req, _ := http.NewRequest(http.MethodDelete, p.URL+"/api/workshops/"+w.ID, nil)
	req.Header.Set("Authorization", "Bearer "+w.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: status %d, want 204", res.StatusCode)
	}
	left, _ := rdb.Keys(ctx, "*").Result()
	left = slices.DeleteFunc(left, func(k string) bool { return !strings.Contains(k, w.ID) && !strings.HasSuffix(k, w.Code) })
	if len(left) > 0 {
		t.Errorf("keys of the deleted workshop left: %v", left)
	}
}
