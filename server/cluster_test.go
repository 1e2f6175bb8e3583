package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub/board"
)

// randomOp makes a random op of the mix a workshop sees, on the cards the
// sender knows of.
func randomOp(rng *rand.Rand, cards []string) map[string]any {
	stage, level := board.Stages[rng.IntN(4)], board.Levels[rng.IntN(3)]
	if len(cards) == 0 || rng.IntN(4) == 0 {
		return addCard(fmt.Sprint("idea ", rng.IntN(1000)), stage, level)
	}
	card := cards[rng.IntN(len(cards))]
	switch rng.IntN(5) {
	case 0:
		return map[string]any{"kind": "card.edit", "cardId": card, "text": fmt.Sprint("edited ", rng.IntN(1000))}
	case 1:
		return map[string]any{"kind": "card.vote", "cardId": card, "delta": 1 - 2*rng.IntN(2)}
	case 2:
		if rng.IntN(4) == 0 {
			return map[string]any{"kind": "card.delete", "cardId": card}
		}
	}
	return map[string]any{"kind": "card.move", "cardId": card, "stage": stage, "level": level, "index": rng.IntN(5)}
}

// TestInstancesConverge: three instances on one Redis, twenty people spread
// over them sending 1,000 random ops at once. Every client sees every
// version once and in order, all end with the same board, and every
// acknowledged op id has exactly one version.
func TestInstancesConverge(t *testing.T) {
	url := needRedis(t)
	servers := []*testServer{
		newTestServer(t, openRedisStore(t, url)),
		newTestServer(t, openRedisStore(t, url)),
		newTestServer(t, openRedisStore(t, url)),
	}
	w := createWorkshop(t, servers[0].URL, "Three instances")
	// 1,000 ops; each person's fit in one burst of the rate limit (opBurst,
	// 60), so none waits for it to refill. The second batch edits, moves
	// and deletes the cards the first added.
	const people, batches, batch = 20, 2, 25
	clients := make([]*wsClient, people)
	for i := range clients {
		clients[i] = dial(t, servers[i%len(servers)].URL)
		clients[i].join(map[string]any{"code": w.Code, "role": []string{"staff", "serviceUser"}[i%2]})
		clients[i].board = board.NewBoard()
	}
	var mu sync.Mutex
	versions := map[int64]string{} // version -> op id
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			for range batches {
				ids := make([]string, batch)
				for k := range ids {
					ids[k] = c.op(randomOp(rng, cardIDs(c.board)))
				}
				for _, id := range ids {
					v, code := c.ack(id)
					switch code {
					case "":
						mu.Lock()
						if other, dup := versions[v]; dup && other != id {
							t.Errorf("version %d acknowledged for two ops: %s and %s", v, other, id)
						}
						versions[v] = id
						mu.Unlock()
					case board.CodeInvalid, board.CodeNotFound, board.CodeForbidden:
						// Fair refusals of random ops: votes past the budget,
						// cards deleted meanwhile, other people's cards.
					default:
						t.Errorf("client %d: op refused with %s", i, code)
					}
				}
			}
		}()
	}
	wg.Wait()
	top := int64(len(versions))
	for v := int64(1); v <= top; v++ {
		if versions[v] == "" {
			t.Fatalf("version %d was never acknowledged; acknowledged versions are not contiguous", v)
		}
	}
	if top < 500 {
		t.Fatalf("only %d of 1000 ops accepted; the mix should accept most", top)
	}
	want := ""
	for i, c := range clients {
		for c.board.V < top {
			c.expect("op")
		}
		got := string(mustJSON(c.board.View(board.Viewer{}, board.Workshop{}, nil)))
		if i == 0 {
			want = got
		} else if got != want {
			t.Fatalf("client %d (instance %d) ended with another board:\n got %s\nwant %s", i, i%3, got, want)
		}
	}
}

// cardIDs lists a replica's cards.
func cardIDs(b *board.Board) []string {
	ids := make([]string, 0, len(b.Cards))
	for _, c := range b.Ordered() {
		ids = append(ids, c.ID)
	}
	return ids
}

// TestSameOpOnTwoInstances: one op id sent through two instances takes
// one version, and both get the same ack.
func TestSameOpOnTwoInstances(t *testing.T) {
	url := needRedis(t)
	a, b := newTestServer(t, openRedisStore(t, url)), newTestServer(t, openRedisStore(t, url))
	w := createWorkshop(t, a.URL, "Same op")
	ca, cb := dial(t, a.URL), dial(t, b.URL)
	ca.join(map[string]any{"code": w.Code, "role": "staff"})
	cb.join(map[string]any{"code": w.Code, "token": ca.you.Token})
	id := uuid.NewString()
	frame := map[string]any{"t": "op", "id": id, "op": addCard("once", nil, nil)}
	ca.sendJSON(frame)
	cb.sendJSON(frame)
	va, codeA := ca.ack(id)
	vb, codeB := cb.ack(id)
	if va != 1 || vb != 1 || codeA != "" || codeB != "" {
		t.Fatalf("acks: got %d (%q) and %d (%q), want version 1 twice", va, codeA, vb, codeB)
	}
	if v, _ := ca.ack(ca.op(addCard("next", nil, nil))); v != 2 {
		t.Fatalf("next op: got version %d, want 2", v)
	}
}

// TestInstanceKilledMidLoad: an instance is killed with SIGKILL while its
// people send ops; they resume on another instance with token and since,
// re-send what was not acknowledged, and nothing acknowledged is lost.
func TestInstanceKilledMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	url := needRedis(t)
	env := []string{"REDIS_URL=" + url}
	doomed, survivor := startProcess(t, env), startProcess(t, env)
	w := createWorkshop(t, survivor.URL, "Kill one")
	watcher := dial(t, survivor.URL)
	watcher.join(map[string]any{"code": w.Code, "role": "staff"})
	watcher.board = board.NewBoard()

	const people, each = 3, 40
	type person struct {
		c     *wsClient
		sent  []string
		texts map[string]string // op id -> card text
		acked map[string]bool
	}
	ps := make([]*person, people)
	for i := range ps {
		c := dial(t, doomed.URL)
		c.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		ps[i] = &person{c: c, texts: map[string]string{}, acked: map[string]bool{}}
	}
	frames := map[string]map[string]any{}
	for i, p := range ps {
		for j := range each {
			text := fmt.Sprint("p", i, " card ", j)
			op := addCard(text, board.Stages[j%4], board.Levels[j%3])
			id := p.c.op(op)
			frames[id] = op
			p.sent = append(p.sent, id)
			p.texts[id] = text
		}
	}
	doomed.kill() // mid-load: some ops acknowledged, others still in flight
	// Read what each got before the instance died.
	for _, p := range ps {
		for f := range p.c.frames {
			if str(f["t"]) == "ack" {
				p.acked[str(f["id"])] = true
			}
		}
	}
	for i, p := range ps {
		c := dial(t, survivor.URL)
		c.join(map[string]any{"code": w.Code, "token": p.c.you.Token, "since": 0, "epoch": p.c.epoch})
		if c.you.ID != p.c.you.ID {
			t.Fatalf("person %d resumed as %s, want %s", i, c.you.ID, p.c.you.ID)
		}
		for _, id := range p.sent { // re-send everything: acked ones must ack again, once
			c.sendJSON(map[string]any{"t": "op", "id": id, "op": frames[id]})
		}
		for _, id := range p.sent {
			if _, code := c.ack(id); code != "" {
				t.Fatalf("re-sent op refused: %s", code)
			}
		}
	}
	want := people * each
	for watcher.board.V < int64(want) {
		watcher.expect("op")
	}
	if watcher.board.V != int64(want) {
		t.Fatalf("board at version %d, want %d: an op was applied twice or lost", watcher.board.V, want)
	}
	texts := map[string]bool{}
	for _, c := range watcher.board.Cards {
		texts[c.Text] = true
	}
	for _, p := range ps {
		for id := range p.acked {
			if !texts[p.texts[id]] {
				t.Errorf("acknowledged card %q lost", p.texts[id])
			}
		}
	}
}

// ownRedis is a redis-server of the test's own on a spare port, with an
// append-only file fsynced on every write, so that it can be killed and
// restarted without losing acknowledged writes.
type ownRedis struct {
	t    *testing.T
	addr string
	dir  string
	cmd  *exec.Cmd
}

func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	needRedis(t)
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
	addr := l.Addr().String()
	l.Close()
	r := &ownRedis{t: t, addr: addr, dir: t.TempDir()}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *ownRedis) url() string { return "redis://" + r.addr + "/0" }

func (r *ownRedis) start() {
	r.t.Helper()
	_, port, _ := net.SplitHostPort(r.addr)
	r.cmd = exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.addr})
	defer rdb.Close()
	for deadline := time.Now().Add(10 * time.Second); rdb.Ping(context.Background()).Err() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s did not answer", r.addr)
		}
	}
}

func (r *ownRedis) kill() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// TestRedisRestart: Redis dies mid-session and comes back on the same
// files. Meanwhile ops are refused as unavailable and /readyz says 503;
// afterwards the instances recover by themselves, the refused ops re-sent
// with their ids succeed, and nothing acknowledged is lost.
func TestRedisRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a Redis server: slow; run without -short")
	}
	r := startOwnRedis(t)
	a, b := newTestServer(t, openRedisStore(t, r.url())), newTestServer(t, openRedisStore(t, r.url()))
	w := createWorkshop(t, a.URL, "Redis restart")
	ca, cb := dial(t, a.URL), dial(t, b.URL)
	ca.join(map[string]any{"code": w.Code, "role": "staff"})
	cb.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	cb.board = board.NewBoard()
	for i := range 10 {
		if _, code := ca.ack(ca.op(addCard(fmt.Sprint("before ", i), "plan", "conversation"))); code != "" {
			t.Fatalf("op refused: %s", code)
		}
	}
	r.kill()
	refused := addCard("during", "do", "participation")
	id := ca.op(refused)
	if _, code := ca.ack(id); code != board.CodeUnavailable {
		t.Fatalf("op with Redis down: got %q, want unavailable", code)
	}
	if res, err := http.Get(a.URL + "/readyz"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with Redis down: got %v %v, want 503", res.StatusCode, err)
	}
	r.start()
	// The client keeps the refused op and re-sends it, with its id, until
	// it is acknowledged; the instance reconnects by itself.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ca.sendJSON(map[string]any{"t": "op", "id": id, "op": refused})
		_, code := ca.ack(id)
		if code == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("re-sent op still refused (%s) 20s after Redis came back", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for cb.board.V < 11 {
		cb.expect("op")
	}
	if len(cb.board.Cards) != 11 {
		t.Fatalf("after the restart: %d cards on the other instance, want 11", len(cb.board.Cards))
	}
	if res, err := http.Get(a.URL + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz after Redis came back: got %v %v, want 200", res.StatusCode, err)
	}
}

// killPubSub cuts the pub/sub connections named name, and says how many
// there were.
func killPubSub(t *testing.T, admin *redis.Client, name string) int {
	t.Helper()
	list, err := admin.Do(context.Background(), "CLIENT", "LIST", "TYPE", "pubsub").Text()
	if err != nil {
		t.Fatalf("client list: %v", err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
		if err := admin.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
			t.Fatalf("client kill: %v", err)
		}
		killed++
	}
	return killed
}

// TestPubSubKilled: Redis cuts the instances' pub/sub connections while
// ops flow; the news lost meanwhile is filled from the log, so the client
// on the other instance still sees every version in order.
func TestPubSubKilled(t *testing.T) {
	// The instances' connections carry a name of this test's, so that only
	// theirs are cut: other tests, in other packages too, share this Redis.
	name := "wbtest-" + uuid.NewString()
	base := needRedis(t)
	url := base + "?client_name=" + name
	a, b := newTestServer(t, openRedisStore(t, url)), newTestServer(t, openRedisStore(t, url))
	w := createWorkshop(t, a.URL, "Pub/sub killed")
	ca, cb := dial(t, a.URL), dial(t, b.URL)
	ca.join(map[string]any{"code": w.Code, "role": "staff"})
	cb.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	cb.board = board.NewBoard()
	opt, _ := redis.ParseURL(base)
	admin := redis.NewClient(opt)
	defer admin.Close()
	const n = 40
	for i := range n {
		if i == 5 || i == 20 {
			if cut := killPubSub(t, admin, name); i == 5 && cut == 0 {
				t.Fatal("no pub/sub connection of the instances to cut")
			}
		}
		if _, code := ca.ack(ca.op(addCard(fmt.Sprint("card ", i), "assess", "consultation"))); code != "" {
			t.Fatalf("op refused: %s", code)
		}
	}
	for cb.board.V < n {
		cb.expect("op") // expect fails on a version gap, or if nothing comes
	}
	var got []string
	for _, c := range cb.board.Ordered() {
		got = append(got, c.Text)
	}
	if len(got) != n {
		t.Fatalf("other instance's client has %d cards, want %d: %s", len(got), n, mustJSON(got))
	}
}
