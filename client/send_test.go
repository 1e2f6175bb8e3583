package client

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// pair returns a Conn whose writers may run (it has no reader) and the
// phone at the other end.
func pair(t *testing.T) (*Conn, *websocket.Conn) {
	t.Helper()
	conns := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := newConn(ws, discard)
		c.mu.Lock()
		c.serving = true
		c.mu.Unlock()
		conns <- c
	}))
	t.Cleanup(srv.Close)
	phone, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := <-conns
	t.Cleanup(func() {
		c.Close(nil)
		<-c.closed
		phone.Close()
	})
	return c, phone
}

// idle waits until c has no writer, and says whether it holds no queue.
func idle(t *testing.T, c *Conn) bool {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		writing, queue := c.writing, c.send
		c.mu.Unlock()
		if !writing {
			return queue == nil
		}
	}
	t.Fatal("the writer still runs after 10s with nothing to write")
	return false
}

// TestSendKeepsOrderAcrossWriters: frames sent in bursts, with writers
// ending between them, arrive in the order sent, and the writer ends with
// the queue dropped once all is written.
func TestSendKeepsOrderAcrossWriters(t *testing.T) {
	c, phone := pair(t)
	const bursts, each = 20, 50
	got := make(chan string, bursts*each)
	go func() {
		for {
			_, data, err := phone.ReadMessage()
			if err != nil {
				close(got)
				return
			}
			got <- string(data)
		}
	}()
	next := 0
	for range bursts {
		for range each {
			if !c.Send([]byte(strconv.Itoa(next))) {
				t.Fatalf("frame %d refused with at most %d queued, want it queued", next, each)
			}
			next++
		}
		for i := next - each; i < next; i++ {
			if f := <-got; f != strconv.Itoa(i) {
				t.Fatalf("got frame %s, want %d", f, i)
			}
		}
		if !idle(t, c) {
			t.Fatal("the writer ended and kept its queue, want it dropped")
		}
	}
}

// TestPingAlone: the pinger's goroutine writes the ping itself, and no
// writer stays behind.
func TestPingAlone(t *testing.T) {
	c, phone := pair(t)
	pinged := make(chan struct{}, 1)
	phone.SetPingHandler(func(string) error { pinged <- struct{}{}; return nil })
	go func() {
		for {
			if _, _, err := phone.NextReader(); err != nil {
				return
			}
		}
	}()
	c.mu.Lock()
	c.pinger = time.AfterFunc(time.Hour, c.ping)
	c.mu.Unlock()
	c.ping()
	select {
	case <-pinged:
	case <-time.After(10 * time.Second):
		t.Fatal("no ping within 10s")
	}
	if !idle(t, c) {
		t.Fatal("the writer ended and kept a queue, want none")
	}
}

// TestCloseAsWriterEnds: Close at the moment a writer runs out of frames
// still sends the last frame and closes, at once.
func TestCloseAsWriterEnds(t *testing.T) {
	for i := range 50 {
		c, phone := pair(t)
		c.Send([]byte("frame"))
		go c.Close([]byte("last"))
		var got []string
		phone.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, data, err := phone.ReadMessage()
			if err != nil {
				if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
					t.Fatalf("run %d: after %v: %v, want a normal close", i, got, err)
				}
				break
			}
			got = append(got, string(data))
		}
		if fmt.Sprint(got) != "[frame last]" {
			t.Fatalf("run %d: frames %v, want [frame last]", i, got)
		}
	}
}
