package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// TestMain checks that no test leaves a goroutine behind: every
// connection's reader and writer must end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// endpoint is the /ws handler over a real hub and embedded store, served
// by httptest, with one workshop to join.
type endpoint struct {
	url  string
	code string
}

func newEndpoint(t *testing.T, cfg Config) *endpoint {
	t.Helper()
	store, err := hub.OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(store, hub.Config{}, discard)
	srv := httptest.NewServer(NewHandler(h, cfg, discard))
	t.Cleanup(func() { // rooms end first, then their connections, then the store
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("hub shutdown: %v", err)
		}
		srv.Close()
		store.Close()
	})
	w, _, err := h.CreateWorkshop(context.Background(), "Client tests")
	if err != nil {
		t.Fatal(err)
	}
	return &endpoint{url: "ws" + strings.TrimPrefix(srv.URL, "http"), code: w.Code}
}

func (e *endpoint) dial(t *testing.T) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(e.url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// join dials and joins as staff, returning once welcome has come.
func (e *endpoint) join(t *testing.T) *websocket.Conn {
	t.Helper()
	ws := e.dial(t)
	if err := ws.WriteJSON(map[string]any{"t": "join", "code": e.code, "role": "staff"}); err != nil {
		t.Fatal(err)
	}
	if f := readUntil(t, ws, "welcome"); f == nil {
		t.Fatal("connection closed before welcome")
	}
	return ws
}

// readUntil returns the next frame of type typ, or nil when the
// connection ends first; it fails the test on an error frame.
func readUntil(t *testing.T, ws *websocket.Conn, typ string) map[string]any {
	t.Helper()
	for {
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			return nil
		}
		var f map[string]any
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("frame is not a JSON object: %s", data)
		}
		if f["t"] == typ {
			return f
		}
		if f["t"] == "error" {
			t.Fatalf("got error %v, want %s", f["code"], typ)
		}
	}
}

// closeCode reads until the connection ends and returns its close code,
// or -1 when it ended without a close frame.
func closeCode(t *testing.T, ws *websocket.Conn) int {
	t.Helper()
	for {
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := ws.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			return -1
		}
	}
}

// opFrame is a card.add op frame of exactly size bytes (when size is large
// enough), padding the card text.
func opFrame(t *testing.T, size int) []byte {
	t.Helper()
	frame := func(text string) []byte {
		b, _ := json.Marshal(map[string]any{"t": "op", "id": uuid.NewString(),
			"op": map[string]any{"kind": "card.add", "card": map[string]any{"id": uuid.NewString(), "text": text}}})
		return b
	}
	base := len(frame(""))
	if size < base {
		t.Fatalf("frame of %d bytes: the smallest op is %d", size, base)
	}
	b := frame(strings.Repeat("x", size-base))
	if len(b) != size {
		t.Fatalf("built a frame of %d bytes, want %d", len(b), size)
	}
	return b
}

// TestSendQueueIsBounded: a member whose queue is full is told so at once,
// never blocking the room; after Close nothing more is queued.
func TestSendQueueIsBounded(t *testing.T) {
	c := newConn(nil, discard)
	for i := range sendQueue {
		if !c.Send([]byte("x")) {
			t.Fatalf("send %d: refused with %d queued, want room for %d", i, i, sendQueue)
		}
	}
	if c.Send([]byte("x")) {
		t.Fatalf("send %d: accepted, want refused: the queue holds %d", sendQueue+1, sendQueue)
	}
	c.take(nil)
	if !c.Send([]byte("x")) {
		t.Fatal("send after one was written: refused, want accepted")
	}
	c.Close([]byte("first"))
	c.Close([]byte("second"))
	if c.Send([]byte("x")) {
		t.Fatal("send after Close: accepted, want refused")
	}
	if string(c.last) != "first" {
		t.Fatalf("last frame: got %q, want the first Close's %q", c.last, "first")
	}
}

// upgradeAnd serves one raw Conn: each request is upgraded and handed to
// serve, whose end is reported on the returned channel.
func upgradeAnd(t *testing.T, serve func(c *Conn)) (string, <-chan time.Duration) {
	t.Helper()
	done := make(chan time.Duration, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		start := time.Now()
		serve(newConn(ws, discard))
		done <- time.Since(start)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), done
}

// TestCloseFlushesQueueThenLastFrame: the writer sends what was queued, in
// order, then Close's frame, then a normal close.
func TestCloseFlushesQueueThenLastFrame(t *testing.T) {
	url, done := upgradeAnd(t, func(c *Conn) {
		c.Send([]byte(`{"t":"a"}`))
		c.Send([]byte(`{"t":"b"}`))
		c.Close([]byte(`{"t":"bye","reason":"draining"}`))
		c.writeLoop()
	})
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var got []string
	for range 3 {
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, string(data))
	}
	want := []string{`{"t":"a"}`, `{"t":"b"}`, `{"t":"bye","reason":"draining"}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("frames: got %v, want %v", got, want)
	}
	if code := closeCode(t, ws); code != websocket.CloseNormalClosure {
		t.Fatalf("close code: got %d, want %d", code, websocket.CloseNormalClosure)
	}
	<-done
}

// TestFlushIsBoundedForSlowReader: a phone that reads, but slowly, cannot
// hold a closing connection open for longer than writeWait in all.
func TestFlushIsBoundedForSlowReader(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out writeWait (10 s): slow; run without -short")
	}
	t.Parallel()
	big := []byte(`"` + strings.Repeat("x", 64<<10) + `"`) // 512 of them: 32 MiB, minutes at the pace read
	url, done := upgradeAnd(t, func(c *Conn) {
		for c.Send(big) {
		}
		c.Close(nil)
		c.writeLoop()
	})
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// About 400 KiB/s: each write waits a second or two, never writeWait,
	// so only a bound on the whole flush can end it in time.
	pace := time.NewTicker(150 * time.Millisecond)
	defer pace.Stop()
	limit := time.After(writeWait + 5*time.Second)
	for {
		select {
		case took := <-done:
			if took > writeWait+5*time.Second {
				t.Fatalf("flush took %v, want at most about %v", took, writeWait)
			}
			return
		case <-limit:
			t.Fatalf("flush to a slow reader still running after %v, want it cut at %v", writeWait+5*time.Second, writeWait)
		case <-pace.C:
			ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			ws.ReadMessage()
		}
	}
}

// TestJoinDeadline: a connection that never sends join is closed after
// joinWait, and not much before.
func TestJoinDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out joinWait (10 s): slow; run without -short")
	}
	t.Parallel()
	e := newEndpoint(t, Config{})
	ws := e.dial(t)
	start := time.Now()
	ws.SetReadDeadline(time.Now().Add(joinWait + 10*time.Second))
	_, _, err := ws.ReadMessage()
	took := time.Since(start)
	if err == nil {
		t.Fatal("got a frame, want the connection closed")
	}
	if took < joinWait-time.Second || took > joinWait+5*time.Second {
		t.Fatalf("closed after %v (%v), want after about %v", took, err, joinWait)
	}
}

// TestFrameSizeLimit: a frame of exactly maxFrame bytes is read (and its
// too-long card refused); one byte more closes with 1009, before join too.
func TestFrameSizeLimit(t *testing.T) {
	e := newEndpoint(t, Config{})
	t.Run("at the limit", func(t *testing.T) {
		ws := e.join(t)
		ws.WriteMessage(websocket.TextMessage, opFrame(t, maxFrame))
		f := readUntil(t, ws, "nack")
		if f == nil || f["code"] != board.CodeInvalid {
			t.Fatalf("got %v, want nack invalid for a card too long", f)
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		ws := e.join(t)
		ws.WriteMessage(websocket.TextMessage, opFrame(t, maxFrame+1))
		if code := closeCode(t, ws); code != websocket.CloseMessageTooBig {
			t.Fatalf("close code: got %d, want %d", code, websocket.CloseMessageTooBig)
		}
	})
	t.Run("over the limit before join", func(t *testing.T) {
		ws := e.dial(t)
		ws.WriteMessage(websocket.TextMessage, append([]byte(`{"t":"join","name":"`), make([]byte, maxFrame)...))
		if code := closeCode(t, ws); code != websocket.CloseMessageTooBig {
			t.Fatalf("close code: got %d, want %d", code, websocket.CloseMessageTooBig)
		}
	})
}

// TestOpRateLimit: past the burst, ops are refused with rateLimited and
// the connection stays, however fast they come; the accepted ones never
// exceed what the rate allows in the time taken.
func TestOpRateLimit(t *testing.T) {
	e := newEndpoint(t, Config{})
	ws := e.join(t)
	const n = 10000
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = opFrame(t, 200)
	}
	start := time.Now()
	go func() { // the answers are read meanwhile
		for _, f := range frames {
			if ws.WriteMessage(websocket.TextMessage, f) != nil {
				return
			}
		}
	}()
	answers := map[string]int{}
	for answers["ack"]+answers[board.CodeRateLimited] < n {
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after %v: %v", answers, err)
		}
		var f struct{ T, Code string }
		json.Unmarshal(data, &f)
		switch f.T {
		case "ack":
			answers["ack"]++
		case "nack":
			answers[f.Code]++
			if f.Code != board.CodeRateLimited {
				t.Fatalf("nack %s, want only rateLimited", f.Code)
			}
		}
	}
	allowed := opBurst + int(time.Since(start).Seconds()*opRate) + 1
	if answers["ack"] > allowed || answers[board.CodeRateLimited] == 0 {
		t.Fatalf("answers %v: want at most %d acks and some rateLimited", answers, allowed)
	}
}

// TestForeignOriginRefused: the upgrade is refused with 403 and the
// contract's error shape.
func TestForeignOriginRefused(t *testing.T) {
	e := newEndpoint(t, Config{AllowedOrigins: []string{"https://partner.example"}})
	tests := []struct {
		origin string
		want   int
	}{
		{"https://evil.example", http.StatusForbidden},
		{"null", http.StatusForbidden},
		{"https://partner.example", http.StatusSwitchingProtocols},
		{"", http.StatusSwitchingProtocols},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			ws, res, err := websocket.DefaultDialer.Dial(e.url, h)
			if ws != nil {
				ws.Close()
			}
			if res == nil {
				t.Fatalf("no answer: %v", err)
			}
			defer res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("status: got %d, want %d", res.StatusCode, tt.want)
			}
			if tt.want != http.StatusForbidden {
				return
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.Error.Code != board.CodeForbidden || body.Error.Message == "" {
				t.Fatalf("body: got %+v (%v), want error forbidden with a message", body, err)
			}
		})
	}
}
