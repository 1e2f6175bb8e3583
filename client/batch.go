package client

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

const (
	// maxBatch is the most a connection gathers before writing it out.
	maxBatch = 32 << 10
	// deadlineSlack is how far the write deadline set on a connection may
	// lag behind the one asked for.
	deadlineSlack = time.Second
)

// batchBuffers lends connections their gathering buffer only while they
// write, so that an idle connection holds none.
var batchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, maxBatch); return &b }}

// batchConn is the network connection under a WebSocket. While its writer
// holds it, the frames the WebSocket library writes one by one are
// gathered and go out in one system call on release; otherwise each write
// goes straight through. Sending to sockets is where a busy server spends
// its time, and a phone that fell a little behind gets what it missed in
// one write. The write deadline is applied when the bytes are written.
type batchConn struct {
	net.Conn
	in *bufio.Reader // the WebSocket's read buffer, set by Hijack; nil if unknown

	mu       sync.Mutex // guards the fields below, and writes to Conn
	holding  bool
	buf      *[]byte   // gathered bytes, from batchBuffers; nil when empty
	deadline time.Time // the write deadline asked for
	applied  time.Time // the write deadline set on Conn
}

// hold starts gathering writes. On nil (a connection not upgraded by
// Handler) hold and release do nothing.
func (b *batchConn) hold() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.holding = true
	b.mu.Unlock()
}

// release writes what was gathered and stops gathering.
func (b *batchConn) release() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.holding = false
	return b.flush()
}

// Write implements net.Conn.
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.holding && (b.buf == nil || len(*b.buf)+len(p) <= maxBatch) && len(p) <= maxBatch {
		if b.buf == nil {
			b.buf = batchBuffers.Get().(*[]byte)
		}
		*b.buf = append(*b.buf, p...)
		return len(p), nil
	}
	if err := b.flush(); err != nil {
		return 0, err
	}
	return b.write(p)
}

// SetWriteDeadline implements net.Conn; the deadline is set on the
// connection when bytes are written, once per batch.
func (b *batchConn) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	b.deadline = t
	b.mu.Unlock()
	return nil
}

// SetDeadline implements net.Conn.
func (b *batchConn) SetDeadline(t time.Time) error {
	b.mu.Lock()
	b.deadline, b.applied = t, t
	b.mu.Unlock()
	return b.Conn.SetDeadline(t)
}

func (b *batchConn) flush() error {
	if b.buf == nil {
		return nil
	}
	_, err := b.write(*b.buf)
	*b.buf = (*b.buf)[:0]
	batchBuffers.Put(b.buf)
	b.buf = nil
	return err
}

func (b *batchConn) write(p []byte) (int, error) {
	// Setting a deadline costs a timer update: a later one is set only
	// once the one set is deadlineSlack behind, so a busy connection's
	// writes may end up to deadlineSlack sooner than asked, never later.
	if b.deadline.Before(b.applied) || b.deadline.Sub(b.applied) > deadlineSlack {
		if err := b.Conn.SetWriteDeadline(b.deadline); err != nil {
			return 0, err
		}
		b.applied = b.deadline
	}
	return b.Conn.Write(p)
}

// batchingHijack makes the upgrade hand the WebSocket library a batchConn.
// With readBuffer set, it also hands it a read buffer of that size, which
// the library reads through when the upgrader's ReadBufferSize is 0 (it
// takes the hijacked one), so that the reader can wait on it: see await.
type batchingHijack struct {
	http.ResponseWriter
	readBuffer int        // set only with an upgrader whose ReadBufferSize is 0
	conn       *batchConn // set by Hijack
}

// Hijack implements http.Hijacker.
func (h *batchingHijack) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: nc}
	if h.readBuffer > 0 && brw.Reader.Buffered() == 0 { // else the upgrade fails: data came before the handshake
		h.conn.in = bufio.NewReaderSize(h.conn, h.readBuffer)
		brw = bufio.NewReadWriter(h.conn.in, brw.Writer)
	}
	return h.conn, brw, nil
}
