package client

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// pair returns a Conn whose writers may run (it has no reader) and the
// phone at the other end. With batched, the Conn is upgraded as Handler
// does it, over a batchConn.
func pair(t *testing.T, batched bool) (*Conn, *websocket.Conn) {
	t.Helper()
	conns := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up, rw := &websocket.Upgrader{}, w
		if batched {
			up = &websocket.Upgrader{WriteBufferSize: writeBuffer, WriteBufferPool: writeBuffers}
			rw = &batchingHijack{ResponseWriter: w, readBuffer: readBuffer}
		}
		ws, err := up.Upgrade(rw, r, nil)
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
	if batched && c.out == nil {
		t.Fatal("the upgraded connection has no batchConn")
	}
	t.Cleanup(func() {
		c.Close(nil)
		<-c.closed
		phone.Close()
	})
	return c, phone
}

// eachPair runs test over a plain pair and a batched one.
func eachPair(t *testing.T, test func(t *testing.T, batched bool)) {
	for _, batched := range []bool{false, true} {
		t.Run(fmt.Sprintf("batched=%v", batched), func(t *testing.T) { test(t, batched) })
	}
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
func TestSendKeepsOrderAcrossWriters(t *testing.T) { eachPair(t, sendKeepsOrderAcrossWriters) }

func sendKeepsOrderAcrossWriters(t *testing.T, batched bool) {
	c, phone := pair(t, batched)
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
func TestPingAlone(t *testing.T) { eachPair(t, pingAlone) }

func pingAlone(t *testing.T, batched bool) {
	c, phone := pair(t, batched)
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
func TestCloseAsWriterEnds(t *testing.T) { eachPair(t, closeAsWriterEnds) }

func closeAsWriterEnds(t *testing.T, batched bool) {
	for i := range 50 {
		c, phone := pair(t, batched)
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

// TestSendWritesAtOnce: on a connection upgraded as Handler does it, a
// small frame sent while nothing else waits is written before Send
// returns, with no writer goroutine left to run and no queue kept. Frames
// of every length the header encodes differently arrive whole, up to the
// largest written at once (which the socket may take only in part) and
// past it (queued).
func TestSendWritesAtOnce(t *testing.T) {
	c, phone := pair(t, true)
	for _, n := range []int{0, 1, 125, 126, 127, 1000, maxBatch - frameHeader, 65535 - 1, maxBatch} {
		idle(t, c) // nothing else waits: the last frame's writer, if any, has ended
		want := strings.Repeat("w", n)
		if !c.Send([]byte(want)) {
			t.Fatal("frame refused")
		}
		c.mu.Lock()
		writing, queue := c.writing, c.send
		c.mu.Unlock()
		if n <= 1000 && (writing || queue != nil) {
			t.Fatalf("%d bytes: after Send, writer running %v, queue of %d; want it all written", n, writing, len(queue))
		}
		phone.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, data, err := phone.ReadMessage(); err != nil || string(data) != want {
			t.Fatalf("%d bytes: read %d bytes, %v; want them all", n, len(data), err)
		}
	}
}

// TestSendAtOnceAllocatesNothing: a frame written at once by Send, one
// per delivery on a busy server, costs no allocation.
func TestSendAtOnceAllocatesNothing(t *testing.T) {
	c, phone := pair(t, true)
	frame := []byte(`{"t":"op","v":1}`)
	const runs = 100 // a few KB: the socket takes them all at once
	allocs := testing.AllocsPerRun(runs, func() {
		if !c.Send(frame) {
			t.Fatal("frame refused")
		}
	})
	if !idle(t, c) {
		t.Fatal("frames were queued; want them all written at once")
	}
	if allocs > 0.1 { // 0, but for a rare refill of the buffer pool after a collection
		t.Errorf("Send written at once: %.2f allocations per frame, want 0", allocs)
	}
	phone.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range runs + 1 { // AllocsPerRun runs it once more to warm up
		if _, data, err := phone.ReadMessage(); err != nil || string(data) != string(frame) {
			t.Fatalf("frame %d: read %q, %v", i, data, err)
		}
	}
}

// TestSendDoesNotWaitForWriter: while something else writes to the socket
// (the reader answering a ping, in a full socket), Send returns at once
// and leaves the frame to a writer.
func TestSendDoesNotWaitForWriter(t *testing.T) {
	c, phone := pair(t, true)
	c.out.mu.Lock()
	sent := make(chan bool)
	go func() { sent <- c.Send([]byte("after")) }()
	select {
	case ok := <-sent:
		if !ok {
			t.Fatal("frame refused")
		}
	case <-time.After(5 * time.Second):
		c.out.mu.Unlock()
		t.Fatal("Send waited for the socket's writer")
	}
	c.out.mu.Unlock()
	phone.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, data, err := phone.ReadMessage(); err != nil || string(data) != "after" {
		t.Fatalf("read %q, %v; want \"after\"", data, err)
	}
}

// TestSendLeavesRestToWriter: when the socket takes only part of a frame,
// or none, a writer goroutine writes the rest once the phone reads again,
// whether or not frames are queued behind it, and those follow it in
// order, whole.
func TestSendLeavesRestToWriter(t *testing.T) {
	c, phone := pair(t, true)
	c.out.Conn.(*net.TCPConn).SetWriteBuffer(16 << 10)
	phone.NetConn().(*net.TCPConn).SetReadBuffer(16 << 10)
	frame := func(i int) string { return fmt.Sprintf("%04d%s", i, strings.Repeat("x", 3000)) }
	next, read := 0, 0
	for _, behind := range []int{0, 10} {
		// Send until one frame is not all written at once, then behind more.
		for {
			if next == 1000 {
				t.Fatalf("%d KB sent to a phone that does not read, all written at once", next*3)
			}
			if !c.Send([]byte(frame(next))) {
				t.Fatalf("frame %d refused", next)
			}
			next++
			c.mu.Lock()
			writing := c.writing
			c.mu.Unlock()
			if writing {
				break
			}
		}
		for range behind {
			if !c.Send([]byte(frame(next))) {
				t.Fatalf("frame %d refused", next)
			}
			next++
		}
		for ; read < next; read++ {
			phone.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, data, err := phone.ReadMessage()
			if err != nil {
				t.Fatalf("frame %d of %d: %v", read, next, err)
			}
			if string(data) != frame(read) {
				t.Fatalf("frame %d: got %.10q... (%d bytes), want %.10q...", read, data, len(data), frame(read))
			}
		}
		if !idle(t, c) {
			t.Fatal("the writer ended and kept its queue, want it dropped")
		}
	}
}

// TestSendAfterDeadlinePassed: a frame written at once goes out although
// the write deadline last set on the socket has passed (it is moved on).
func TestSendAfterDeadlinePassed(t *testing.T) {
	c, phone := pair(t, true)
	c.out.SetDeadline(time.Now().Add(-time.Second))
	if !c.Send([]byte("late")) {
		t.Fatal("frame refused")
	}
	phone.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, data, err := phone.ReadMessage(); err != nil || string(data) != "late" {
		t.Fatalf("read %q, %v; want \"late\"", data, err)
	}
}

// TestTextHeader: the header of a text frame too long for writeFramesNow,
// which the tests above cannot send through it, has the 8-byte length.
func TestTextHeader(t *testing.T) {
	got := appendTextHeader(nil, 70000)
	want := []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70}
	if string(got) != string(want) {
		t.Fatalf("header % x, want % x", got, want)
	}
}

// TestSendPair: the two frames of SendPair arrive in order, whole. On a
// connection upgraded as Handler does it, a small pair sent while nothing
// else waits is written before SendPair returns (in one system call); a
// pair too big to write at once, or sent while the socket is being
// written to, is queued in order.
func TestSendPair(t *testing.T) { eachPair(t, sendPair) }

func sendPair(t *testing.T, batched bool) {
	c, phone := pair(t, batched)
	read := func(want string) {
		t.Helper()
		phone.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, data, err := phone.ReadMessage(); err != nil || string(data) != want {
			t.Fatalf("read %.12q... (%d bytes), %v; want %.12q... (%d bytes)", data, len(data), err, want, len(want))
		}
	}
	for _, n := range []int{10, 1000, maxBatch / 2} {
		idle(t, c)
		first, second := strings.Repeat("1", n), strings.Repeat("2", n)
		if !c.SendPair([]byte(first), []byte(second)) {
			t.Fatal("pair refused")
		}
		c.mu.Lock()
		writing, queue := c.writing, c.send
		c.mu.Unlock()
		if batched && n <= 1000 && (writing || queue != nil) {
			t.Fatalf("%d bytes each: after SendPair, writer running %v, queue of %d; want both written", n, writing, len(queue))
		}
		read(first)
		read(second)
	}
	if !batched {
		return
	}
	idle(t, c)
	c.out.mu.Lock() // the reader answering a ping
	c.SendPair([]byte("first"), []byte("second"))
	c.Send([]byte("third"))
	c.out.mu.Unlock()
	read("first")
	read("second")
	read("third")
}
