package client

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestConnectionCap: past MaxConnections a new connection is refused with
// 503 full and a plain message, and the ones already open keep working;
// once one closes, a newcomer gets in.
func TestConnectionCap(t *testing.T) {
	e := newEndpoint(t, Config{MaxConnections: 2})
	first := e.join(t)
	e.join(t)

	_, res, err := websocket.DefaultDialer.Dial(e.url, nil)
	if err == nil {
		t.Fatal("a third connection was let in past a cap of 2")
	}
	if res == nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("past the cap: response %v, want 503 with Retry-After", res)
	}
	body, _ := io.ReadAll(res.Body)
	var answer struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Error.Code != "full" || answer.Error.Message == "" {
		t.Errorf("past the cap: body %s, want error full with a message", body)
	}

	first.Close()
	waitFor(t, "a newcomer let in once a connection closed", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial(e.url, nil)
		if err == nil {
			ws.Close()
		}
		return err == nil
	})
}

// waitFor polls cond until it holds, failing the test after ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
	}
}

// TestGuessingCodesOverWebSocket: joins of codes that do not exist spend
// the address's miss budget, as HTTP lookups do; past it every join from
// that address is refused rateLimited before anything is looked up, a
// real code too, so that a guess tells nothing.
func TestGuessingCodesOverWebSocket(t *testing.T) {
	e := newEndpoint(t, Config{Misses: NewLimiter(0.001, 3), ClientAddr: func(*http.Request) string { return "one address" }})
	joinCode := func(code string) string {
		ws := e.dial(t)
		ws.WriteJSON(map[string]any{"t": "join", "code": code, "role": "staff"})
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var f struct{ T, Code string }
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("join %s: %v", code, err)
		}
		return f.T + " " + f.Code
	}
	for i := range 3 {
		if got := joinCode("ZZZZZ" + string(rune('A'+i))); got != "error notFound" {
			t.Fatalf("guess %d: %s, want error notFound", i+1, got)
		}
	}
	for _, code := range []string{"ZZZZZD", e.code} {
		if got := joinCode(code); got != "error rateLimited" {
			t.Errorf("join of %s past the miss budget: %s, want error rateLimited", code, got)
		}
	}
}
