package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/withboard/withboard/client"
	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// frameWait bounds how long a test waits for one frame.
const frameWait = 10 * time.Second

// testServer is one server over a store, served by httptest.
type testServer struct {
	*httptest.Server
	hub *hub.Hub
}

func newTestServer(t *testing.T, store hub.Store) *testServer {
	t.Helper()
	return newTestServerWith(t, store, hub.Config{})
}

// newTestServerWith starts a server whose hub has cfg.
func newTestServerWith(t *testing.T, store hub.Store, cfg hub.Config) *testServer {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := newMetrics()
	cfg.Observer = m
	h := hub.New(store, cfg, log)
	ws := client.NewHandler(h, client.Config{}, log)
	m.watch(h, ws)
	srv := httptest.NewServer(routes(config{}, h, ws, m, log))
	t.Cleanup(func() { // before the store's own cleanup: rooms end first
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	return &testServer{Server: srv, hub: h}
}

func newEmbeddedServer(t *testing.T) *testServer {
	t.Helper()
	store, err := hub.OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newTestServer(t, store)
}

// created is the answer to POST /api/workshops.
type created struct {
	ID, Code, Title, FacilitatorKey, JoinURL, FacilitatorURL string
}

func createWorkshop(t *testing.T, base, title string) created {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"title": title})
	res, err := http.Post(base+"/api/workshops", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create workshop: got status %d, want 201", res.StatusCode)
	}
	var c created
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// wsClient is a test participant: a real WebSocket, a reader goroutine,
// and a replica of the board built from what it receives.
type wsClient struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan map[string]json.RawMessage
	raw    chan []byte // every frame as received, for redaction checks
	you    hub.You
	epoch  string
	board  *board.Board

	answers map[string]map[string]json.RawMessage // acks and nacks read while waiting for others
}

func dial(t *testing.T, base string) *wsClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &wsClient{t: t, ws: ws, frames: make(chan map[string]json.RawMessage, 10000), raw: make(chan []byte, 10000),
		answers: map[string]map[string]json.RawMessage{}}
	go func() {
		defer close(c.frames)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f map[string]json.RawMessage
			if json.Unmarshal(data, &f) != nil {
				t.Errorf("server sent a frame that is not a JSON object: %s", data)
				return
			}
			c.raw <- data
			c.frames <- f
		}
	}()
	t.Cleanup(func() { ws.Close() })
	return c
}

func (c *wsClient) sendJSON(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next returns the next frame, failing the test if none comes.
func (c *wsClient) next() map[string]json.RawMessage {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("connection closed while waiting for a frame")
		}
		return f
	case <-time.After(frameWait):
		c.t.Fatalf("no frame within %v", frameWait)
	}
	return nil
}

// expect returns the next frame of type t, applying op frames passed on
// the way; it fails on a frame of type error unless that is expected.
func (c *wsClient) expect(t string) map[string]json.RawMessage {
	c.t.Helper()
	for {
		f := c.next()
		typ := str(f["t"])
		if typ == "op" {
			c.applyOp(f)
		}
		if typ == t {
			return f
		}
		if typ == "error" {
			c.t.Fatalf("got error %s, want %s", f["message"], t)
		}
	}
}

func str(raw json.RawMessage) string {
	var s string
	json.Unmarshal(raw, &s)
	return s
}

// join sends a join frame and reads welcome.
func (c *wsClient) join(frame map[string]any) map[string]json.RawMessage {
	c.t.Helper()
	frame["t"] = "join"
	c.sendJSON(frame)
	w := c.expect("welcome")
	json.Unmarshal(w["you"], &c.you)
	c.epoch = str(w["epoch"])
	return w
}

// applyOp applies an op frame to the replica, checking it is the next
// version.
func (c *wsClient) applyOp(f map[string]json.RawMessage) {
	c.t.Helper()
	var e board.Entry
	if err := json.Unmarshal(mustJSON(f), &e); err != nil {
		c.t.Fatalf("decode op frame: %v", err)
	}
	if c.board == nil {
		return
	}
	if e.V != c.board.V+1 {
		c.t.Fatalf("op frame version: got %d, want %d", e.V, c.board.V+1)
	}
	if e.Op.Kind == board.KindCardVote && e.By == "" {
		// Someone else's vote, a secret ballot: count it under its voter's
		// role, which is all this participant may know of it.
		c.board.V = e.V
		if card := c.board.Cards[e.Op.CardID]; card != nil && e.Op.Delta != nil {
			voter := "ballot:" + string(e.ByRole)
			if card.Votes == nil {
				card.Votes = map[string]int{}
			}
			card.Votes[voter] += *e.Op.Delta
			c.board.Voters[voter] = e.ByRole
			if card.Votes[voter] == 0 {
				delete(card.Votes, voter)
			}
		}
		return
	}
	c.board.Apply(e)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// op sends an op and returns its id.
func (c *wsClient) op(op map[string]any) string {
	c.t.Helper()
	id := uuid.NewString()
	c.sendJSON(map[string]any{"t": "op", "id": id, "op": op})
	return id
}

// ack waits for the ack or nack of op id and returns its version (or the
// nack code).
func (c *wsClient) ack(id string) (int64, string) {
	c.t.Helper()
	for {
		f, ok := c.answers[id]
		if ok {
			delete(c.answers, id)
		} else {
			f = c.next()
		}
		switch str(f["t"]) {
		case "op":
			c.applyOp(f)
		case "ack", "nack":
			if str(f["id"]) != id {
				c.answers[str(f["id"])] = f
				continue
			}
			var v int64
			json.Unmarshal(f["v"], &v)
			return v, str(f["code"])
		case "error":
			c.t.Fatalf("got error %s while waiting for ack", f["message"])
		}
	}
}

func addCard(text string, stage, level any) map[string]any {
	return map[string]any{"kind": "card.add", "card": map[string]any{"id": uuid.NewString(), "text": text, "stage": stage, "level": level}}
}
