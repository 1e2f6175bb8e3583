package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// Limits of client/conn.go and client/PROTOCOL.md that the hostile inputs
// push against.
const (
	maxFrame  = 16 << 10
	opRate    = 20
	opBurst   = 60
	sendQueue = 512
)

// TestHostileInput sends one bad input per row, checks the answer the
// contract (or client/PROTOCOL.md) gives it, and then that the server is
// still healthy: /healthz answers and a new person can join the same
// workshop and have a change accepted.
func TestHostileInput(t *testing.T) {
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		srv := newServer(t)
		e := &hostileEnv{srv: srv, w: createWorkshop(t, srv.URL, "Hostile input")}
		opID := "6d1f6c1e-0f3a-4a5b-9e8d-7c6b5a4f3e2d"
		join := func(fields string) string { return `{"t":"join","code":"` + e.w.Code + `"` + fields + `}` }
		tests := []struct {
			name   string
			attack func(t *testing.T, e *hostileEnv) string
			want   string
		}{
			// The first frame must be a good join.
			{"malformed JSON before join", beforeJoin(`{"t":"join",`), "error badJoin, closed 1000"},
			{"op before join", beforeJoin(`{"t":"op","id":"` + opID + `","op":{"kind":"card.add"}}`), "error badJoin, closed 1000"},
			{"unknown t before join", beforeJoin(`{"t":"hello"}`), "error badJoin, closed 1000"},
			{"wrong type of code", beforeJoin(`{"t":"join","code":123456,"role":"staff"}`), "error badJoin, closed 1000"},
			{"JSON that is not an object", beforeJoin(`[{"t":"join"}]`), "error badJoin, closed 1000"},
			{"missing code", beforeJoin(`{"t":"join","role":"staff"}`), "error badJoin, closed 1000"},
			{"unknown code", beforeJoin(`{"t":"join","code":"QQQQQQ","role":"staff"}`), "error notFound, closed 1000"},
			{"unknown id as code", beforeJoin(`{"t":"join","code":"` + uuid.NewString() + `","role":"staff"}`), "error notFound, closed 1000"},
			{"missing role", beforeJoin(join(``)), "error badJoin, closed 1000"},
			{"unknown role", beforeJoin(join(`,"role":"admin"`)), "error badJoin, closed 1000"},
			{"facilitator without key", beforeJoin(join(`,"role":"facilitator"`)), "error badJoin, closed 1000"},
			{"wrong key", beforeJoin(join(`,"role":"facilitator","key":"not-the-key"`)), "error badJoin, closed 1000"},
			{"wrong key as staff", beforeJoin(join(`,"role":"staff","key":"not-the-key"`)), "error badJoin, closed 1000"},
			{"name too long", beforeJoin(join(`,"role":"staff","name":"` + strings.Repeat("n", 41) + `"`)), "error badJoin, closed 1000"},
			{"name with a control character", beforeJoin(join(`,"role":"staff","name":"a\u0007b"`)), "error badJoin, closed 1000"},
			{"unknown token joins as someone new", beforeJoin(join(`,"role":"staff","token":"forged"`)), "welcome"},
			{"since and epoch made up", beforeJoin(join(`,"role":"staff","since":-5,"epoch":"forged"`)), "welcome"},
			{"oversized frame before join", beforeJoin(join(`,"role":"staff","name":"` + strings.Repeat("n", maxFrame) + `"`)), "closed 1009"},

			// After join, a bad frame is refused and the connection stays.
			{"malformed JSON", afterJoin(`{"t":"op",`), `nack invalid id=""`},
			{"null", afterJoin(`null`), `nack invalid id=""`},
			{"unknown t", afterJoin(`{"t":"dance","id":"a"}`), `nack invalid id="a"`},
			{"wrong type of id", afterJoin(`{"t":"op","id":5,"op":{"kind":"card.delete","cardId":"x"}}`), `nack invalid id=""`},
			{"wrong type of delta", afterJoin(`{"t":"op","id":"b","op":{"kind":"card.vote","cardId":"c","delta":"one"}}`), `nack invalid id="b"`},
			{"number out of range", afterJoin(`{"t":"op","id":"c","op":{"kind":"card.move","cardId":"c","index":1e300}}`), `nack invalid id="c"`},
			{"deeply nested", afterJoin(`{"t":"op","id":"d","op":{"kind":"card.add","card":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}`), `nack invalid id="d"`},
			{"unknown kind", afterJoin(`{"t":"op","id":"` + opID + `","op":{"kind":"card.fly"}}`), `nack invalid id="` + opID + `"`},
			{"missing kind", afterJoin(`{"t":"op","id":"` + opID + `","op":{}}`), `nack invalid id="` + opID + `"`},
			{"op id not a UUID", afterJoin(`{"t":"op","id":"nope","op":{"kind":"card.delete","cardId":"x"}}`), `nack invalid id="nope"`},
			{"missing op", afterJoin(`{"t":"op","id":"e"}`), `nack invalid id="e"`},
			{"second join", afterJoin(join(`,"role":"staff"`)), `nack invalid id=""`},
			{"card text with NUL", afterJoin(`{"t":"op","id":"` + opID + `","op":{"kind":"card.add","card":{"id":"` + uuid.NewString() + `","text":"a\u0000b"}}}`), `nack invalid id="` + opID + `"`},
			{"unknown stage", afterJoin(`{"t":"op","id":"` + opID + `","op":{"kind":"card.add","card":{"id":"` + uuid.NewString() + `","text":"x","stage":"later","level":"participation"}}}`), `nack invalid id="` + opID + `"`},
			{"card that does not exist", afterJoin(`{"t":"op","id":"` + opID + `","op":{"kind":"card.delete","cardId":"` + uuid.NewString() + `"}}`), `nack notFound id="` + opID + `"`},
			{"facilitator's op by staff", afterJoin(`{"t":"op","id":"` + opID + `","op":{"kind":"phase.set","phase":"closed"}}`), `nack forbidden id="` + opID + `"`},
			{"binary frame is ignored", afterJoinBinary, "ack"},
			{"frame of exactly 16 KiB", afterJoin(opOfSize(opID, maxFrame)), `nack invalid id="` + opID + `"`},
			{"oversized frame", afterJoin(opOfSize(opID, maxFrame+1)), "closed 1009"},
			{"10,000 ops in a burst", burst, "rateLimited, then ack"},
			{"client that never reads", neverReads, "dropped and counted"},

			// The upgrade itself.
			{"Origin from another site", dialWithOrigin("https://evil.example"), "http 403 forbidden"},
			{"own Origin", dialWithOrigin(""), "http 101"},
			{"plain GET of /ws", httpCall("GET", "/ws", ""), "http 400 invalid"},

			// Keys and codes over HTTP.
			{"export without key", httpCall("GET", "/api/workshops/{id}/export?format=json", ""), "http 401 unauthorized"},
			{"export with wrong key", httpCall("GET", "/api/workshops/{id}/export?format=json", "not-the-key"), "http 403 forbidden"},
			{"delete with wrong key", httpCall("DELETE", "/api/workshops/{id}", "not-the-key"), "http 403 forbidden"},
			{"delete unknown workshop", httpCall("DELETE", "/api/workshops/"+uuid.NewString(), "not-the-key"), "http 404 notFound"},
			{"unknown code", httpCall("GET", "/api/workshops/QQQQQQ", ""), "http 404 notFound"},
			{"code of the wrong shape", httpCall("GET", "/api/workshops/%00%ff'%20OR%201=1", ""), "http 404 notFound"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := tt.attack(t, e); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
				e.healthy(t)
			})
		}
	})
}

// hostileEnv is the server and workshop under attack.
type hostileEnv struct {
	srv *testServer
	w   created
}

func (e *hostileEnv) wsURL() string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws" }

// healthy checks that the server still serves: /healthz, and a new person
// joining the workshop and having a card accepted.
func (e *hostileEnv) healthy(t *testing.T) {
	t.Helper()
	res, err := http.Get(e.srv.URL + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: got %d, want 200", res.StatusCode)
	}
	c := dial(t, e.srv.URL)
	c.join(map[string]any{"code": e.w.Code, "role": "serviceUser"})
	if v, code := c.ack(c.op(addCard("still working", "do", "participation"))); code != "" || v < 1 {
		t.Fatalf("a new person's card after the attack: got version %d, nack %q", v, code)
	}
	c.ws.Close()
}

// rawDial opens a WebSocket that the test reads itself, if at all.
func rawDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// answer reads up to the frame that answers what was sent (ack, nack,
// error, welcome), or the end of the connection, and describes it. A
// refusal without a message a person can read says so.
func answer(ws *websocket.Conn) string {
	for {
		ws.SetReadDeadline(time.Now().Add(frameWait))
		_, data, err := ws.ReadMessage()
		if err != nil {
			return ended(err)
		}
		var f struct{ T, Code, ID, Message string }
		json.Unmarshal(data, &f)
		if (f.T == "nack" || f.T == "error") && f.Message == "" {
			return f.T + " without a message"
		}
		switch f.T {
		case "ack", "welcome":
			return f.T
		case "nack":
			return fmt.Sprintf("nack %s id=%q", f.Code, f.ID)
		case "error":
			for err == nil {
				_, _, err = ws.ReadMessage()
			}
			return "error " + f.Code + ", " + ended(err)
		}
	}
}

// ended describes how a connection ended.
func ended(err error) string {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		return fmt.Sprint("closed ", ce.Code)
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer"
	}
	return "closed without a close frame"
}

// beforeJoin sends frame as the first frame of a new connection.
func beforeJoin(frame string) func(*testing.T, *hostileEnv) string {
	return func(t *testing.T, e *hostileEnv) string {
		ws := rawDial(t, e.wsURL())
		ws.WriteMessage(websocket.TextMessage, []byte(frame))
		return answer(ws)
	}
}

// joinRaw joins the workshop as staff, or as facilitator with key, and
// returns the version welcomed at.
func joinRaw(t *testing.T, e *hostileEnv, w created, key string) (*websocket.Conn, int64) {
	t.Helper()
	ws := rawDial(t, e.wsURL())
	ws.WriteJSON(map[string]any{"t": "join", "code": w.Code, "role": "staff", "key": key})
	for {
		ws.SetReadDeadline(time.Now().Add(frameWait))
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("join: %v", err)
		}
		var f struct {
			T string
			V int64
		}
		if json.Unmarshal(data, &f); f.T == "welcome" {
			return ws, f.V
		}
	}
}

// afterJoin sends frame after a good join. Unless the connection closed,
// it then checks that the frame changed nothing and the connection still
// works: a good op there gets the next version.
func afterJoin(frame string) func(*testing.T, *hostileEnv) string {
	return func(t *testing.T, e *hostileEnv) string {
		ws, v := joinRaw(t, e, e.w, "")
		ws.WriteMessage(websocket.TextMessage, []byte(frame))
		got := answer(ws)
		if strings.HasPrefix(got, "nack") {
			checkStillServed(t, ws, v)
		}
		return got
	}
}

// afterJoinBinary sends a binary frame, which the contract does not use:
// it is ignored, and the next good op is answered.
func afterJoinBinary(t *testing.T, e *hostileEnv) string {
	ws, v := joinRaw(t, e, e.w, "")
	ws.WriteMessage(websocket.BinaryMessage, []byte(`{"t":"op","id":"`+uuid.NewString()+`","op":{"kind":"phase.set","phase":"closed"}}`))
	checkStillServed(t, ws, v)
	return "ack"
}

// checkStillServed sends a good op on ws and wants it at version v+1.
func checkStillServed(t *testing.T, ws *websocket.Conn, v int64) {
	t.Helper()
	id := uuid.NewString()
	ws.WriteJSON(map[string]any{"t": "op", "id": id, "op": addCard("after the bad frame", nil, nil)})
	for {
		ws.SetReadDeadline(time.Now().Add(frameWait))
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("connection after the bad frame: %v", err)
		}
		var f struct {
			T, ID, Code string
			V           int64
		}
		json.Unmarshal(data, &f)
		if f.ID != id || (f.T != "ack" && f.T != "nack") {
			continue
		}
		if f.T != "ack" || f.V != v+1 {
			t.Fatalf("good op after the bad frame: got %s %s at version %d, want ack at %d: the bad frame must change nothing", f.T, f.Code, f.V, v+1)
		}
		return
	}
}

// opOfSize is a card.add frame with op id of exactly size bytes, its
// text padded.
func opOfSize(id string, size int) string {
	card := uuid.NewString()
	frame := func(text string) []byte {
		return mustJSON(map[string]any{"t": "op", "id": id, "op": map[string]any{"kind": "card.add", "card": map[string]any{"id": card, "text": text}}})
	}
	return string(frame(strings.Repeat("x", size-len(frame("")))))
}

// flooder is a participant that sends ops fast and counts the answers.
// Its reader is cheap, so that it keeps up with any room.
type flooder struct {
	ws      *websocket.Conn
	answers chan string // "ack" or the nack code, one per op sent
}

func newFlooder(t *testing.T, e *hostileEnv, w created, key string) *flooder {
	t.Helper()
	ws, _ := joinRaw(t, e, w, key)
	ws.SetReadDeadline(time.Time{})
	f := &flooder{ws: ws, answers: make(chan string, 16384)}
	go func() {
		defer close(f.answers)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			switch {
			case bytes.HasPrefix(data, []byte(`{"t":"ack"`)):
				f.answers <- "ack"
			case bytes.HasPrefix(data, []byte(`{"t":"nack"`)):
				var n struct{ Code string }
				json.Unmarshal(data, &n)
				f.answers <- n.Code
			}
		}
	}()
	return f
}

// send writes n ops.
func (f *flooder) send(t *testing.T, n int, op map[string]any) {
	t.Helper()
	for range n {
		if err := f.ws.WriteJSON(map[string]any{"t": "op", "id": uuid.NewString(), "op": op}); err != nil {
			t.Fatalf("flood: %v", err)
		}
	}
}

// collect waits for n answers and counts them by kind.
func (f *flooder) collect(t *testing.T, n int, into map[string]int) {
	t.Helper()
	for i := range n {
		select {
		case a, ok := <-f.answers:
			if !ok {
				t.Fatalf("connection closed after %d of %d answers (%v)", i, n, into)
			}
			into[a]++
		case <-time.After(frameWait):
			t.Fatalf("answer %d of %d not within %v (%v)", i+1, n, frameWait, into)
		}
	}
}

// burst sends 10,000 ops as fast as the connection takes them: the ones
// past the rate are refused with rateLimited, the accepted ones never
// exceed what the rate allows, and the connection goes on working.
func burst(t *testing.T, e *hostileEnv) string {
	const n = 10000
	f := newFlooder(t, e, e.w, "")
	start := time.Now()
	sent := make(chan struct{})
	go func() { // write while the answers are read
		defer close(sent)
		for range n {
			if f.ws.WriteJSON(map[string]any{"t": "op", "id": uuid.NewString(), "op": addCard("flood", nil, nil)}) != nil {
				return
			}
		}
	}()
	counts := map[string]int{}
	f.collect(t, n, counts)
	<-sent
	allowed := opBurst + int(time.Since(start).Seconds()*opRate) + 1
	if counts["ack"] > allowed || counts["ack"]+counts[board.CodeRateLimited] != n {
		t.Fatalf("answers %v: want at most %d acks, the rest rateLimited", counts, allowed)
	}
	for range 5 * opRate { // a token comes every 1/opRate seconds
		f.send(t, 1, addCard("after the flood", nil, nil))
		a := map[string]int{}
		f.collect(t, 1, a)
		if a["ack"] == 1 {
			return "rateLimited, then ack"
		}
		time.Sleep(time.Second / opRate)
	}
	return fmt.Sprintf("%v, then no ack", counts)
}

// neverReads joins a phone that never reads, then has others make changes
// until its queue is full: it is dropped and counted, while the room goes
// on serving the others promptly, every version in order.
func neverReads(t *testing.T, e *hostileEnv) string {
	w := createWorkshop(t, e.srv.URL, "Slow phone")
	before := metric(t, e.srv.URL, "withboard_slow_consumer_disconnects_total")
	slow, _, err := slowPhoneDialer().Dial(e.wsURL(), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { slow.Close() })
	slow.WriteJSON(map[string]any{"t": "join", "code": w.Code, "role": "serviceUser"})
	// From here on nobody reads slow.

	watcher := dial(t, e.srv.URL)
	watcher.join(map[string]any{"code": w.Code, "role": "staff"})
	watcher.board = board.NewBoard()
	// Facilitators set a stage's note, of characters that JSON encodes at
	// six bytes each: buffers fill with fewer frames, and the number of
	// versions is not capped as cards are. Each sends a burst in turn, as
	// many as it takes; one turn each is more than the queue holds.
	fs := make([]*flooder, sendQueue/opBurst+3)
	for i := range fs {
		fs[i] = newFlooder(t, e, w, w.FacilitatorKey)
	}
	note := map[string]any{"kind": "stage.agree", "stage": "plan", "level": "conversation", "note": strings.Repeat("<", 200)}
	counts := map[string]int{}
	deadline := time.Now().Add(time.Minute)
	for i := 0; metric(t, e.srv.URL, "withboard_slow_consumer_disconnects_total") == before; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("after %d bursts (%v) the phone that never reads was not dropped", i, counts)
		}
		f := fs[i%len(fs)]
		f.send(t, opBurst, note)
		f.collect(t, opBurst, counts) // the room answers while the slow phone's queue fills
		for watcher.board.V < int64(counts["ack"]) {
			watcher.expect("op") // fails on a gap, or when a version does not come within frameWait
		}
		for len(watcher.raw) > 0 {
			<-watcher.raw
		}
	}
	slow.SetReadDeadline(time.Now().Add(frameWait + 15*time.Second))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			if got := ended(err); got == "no answer" {
				return "slow phone still connected"
			}
			break
		}
	}
	return "dropped and counted"
}

// metric reads one counter from /metrics.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("metric %s not on /metrics", name)
	return 0
}

// dialWithOrigin opens /ws with an Origin header; "" sends the server's
// own origin.
func dialWithOrigin(origin string) func(*testing.T, *hostileEnv) string {
	return func(t *testing.T, e *hostileEnv) string {
		if origin == "" {
			origin = e.srv.URL
		}
		ws, res, err := websocket.DefaultDialer.Dial(e.wsURL(), http.Header{"Origin": {origin}})
		if ws != nil {
			ws.Close()
		}
		if res == nil {
			t.Fatalf("dial: %v", err)
		}
		return describeHTTP(res)
	}
}

// httpCall makes a request, with a bearer key when key is not "", and
// describes the answer; {id} in path is the workshop's id.
func httpCall(method, path, key string) func(*testing.T, *hostileEnv) string {
	return func(t *testing.T, e *hostileEnv) string {
		req, err := http.NewRequest(method, e.srv.URL+strings.ReplaceAll(path, "{id}", e.w.ID), nil)
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return describeHTTP(res)
	}
}

// describeHTTP is "http STATUS CODE", CODE from the contract's error body.
func describeHTTP(res *http.Response) string {
	defer res.Body.Close()
	if res.StatusCode < 400 {
		return fmt.Sprint("http ", res.StatusCode)
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if json.NewDecoder(res.Body).Decode(&body); body.Error.Message == "" {
		return fmt.Sprintf("http %d without the contract's error body", res.StatusCode)
	}
	return fmt.Sprintf("http %d %s", res.StatusCode, body.Error.Code)
}

// TestWorkshopFull: past the cap on connections to one workshop, a joiner
// gets error tooLarge with a message a person can read, and the workshop
// serves those inside; once someone leaves, the next one gets in.
func TestWorkshopFull(t *testing.T) {
	const capacity = 3
	stores := map[string]func(t *testing.T) hub.Store{
		"embedded": func(t *testing.T) hub.Store {
			store, err := hub.OpenEmbedded(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			return store
		},
		"redis": func(t *testing.T) hub.Store { return openRedisStore(t, needRedis(t)) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			srv := newTestServerWith(t, open(t), hub.Config{MaxMembers: capacity})
			e := &hostileEnv{srv: srv, w: createWorkshop(t, srv.URL, "Full")}
			inside := make([]*wsClient, capacity)
			for i := range inside {
				inside[i] = dial(t, srv.URL)
				inside[i].join(map[string]any{"code": e.w.Code, "role": "staff"})
			}
			late := rawDial(t, e.wsURL())
			late.WriteJSON(map[string]any{"t": "join", "code": e.w.Code, "role": "serviceUser"})
			if got, want := answer(late), "error tooLarge, closed 1000"; got != want {
				t.Fatalf("joining a full workshop: got %q, want %q", got, want)
			}
			if v, code := inside[0].ack(inside[0].op(addCard("still room for ideas", nil, nil))); code != "" || v != 1 {
				t.Fatalf("inside a full workshop: got version %d, nack %q", v, code)
			}
			inside[1].ws.Close()
			for deadline := time.Now().Add(frameWait); ; {
				next := rawDial(t, e.wsURL())
				next.WriteJSON(map[string]any{"t": "join", "code": e.w.Code, "role": "serviceUser"})
				got := answer(next)
				if got == "welcome" {
					break
				}
				if got != "error tooLarge, closed 1000" || time.Now().After(deadline) {
					t.Fatalf("after someone left: got %q, want welcome", got)
				}
			}
		})
	}
}
