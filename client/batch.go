package client

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

const (
	// maxBatch is the most a connection gathers before writing it out.
	maxBatch = 32 << 10
	// deadlineSlack is how far the write deadline set on a connection may
	// lag behind the one asked for.
	deadlineSlack = time.Second
	// frameHeader is the most a WebSocket frame's header adds to its
	// payload, sent by a server (unmasked).
	frameHeader = 10
)

// batchBuffers lends connections their gathering buffer only while they
// write, so that an idle connection holds none.
var batchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, maxBatch); return &b }}

// batchConn is the network connection under a WebSocket. While its writer
// holds it, the frames the WebSocket library writes one by one are
// gathered and go out in one system call on release; otherwise each write
// goes straight through. Sending to sockets is where a busy server spends
// its time, and a phone that fell a little behind gets what it missed in
// one write. A frame can also be written by the caller of Send, in one
// system call that does not wait (writeFramesNow), when nothing else is
// written. The write deadline is applied when the bytes are written.
type batchConn struct {
	net.Conn
	in *bufio.Reader // the WebSocket's read buffer, set by Hijack; nil if unknown

	raw syscall.RawConn // Conn's file descriptor, for writes that must not wait; nil if none

	mu       sync.Mutex // guards the fields below, and writes to Conn
	holding  bool
	buf      *[]byte   // gathered bytes, from batchBuffers; nil when empty
	deadline time.Time // the write deadline asked for
	applied  time.Time // the write deadline set on Conn
	nb       nonblockingWriter
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

// writeFramesNow writes each payload as a text frame (a server's:
// unmasked) if nothing else is writing to the connection and the socket
// takes them in one system call that does not wait. taken says whether
// they were written, in whole (done) or in part: what the socket did not
// take stays gathered, first in line, for the next write or release (see
// pending). Not taken, they are for the caller to queue. deadline is for
// the rest, if any. err is the write's failure: the connection is done.
//
// The frames are written here rather than by the WebSocket library, which
// would wait for its own lock while a control frame (a pong, a close)
// waits for room in the socket.
func (b *batchConn) writeFramesNow(payloads [][]byte, deadline time.Time) (taken, done bool, err error) {
	if !b.mu.TryLock() {
		return false, false, nil
	}
	defer b.mu.Unlock()
	if b.holding || b.buf != nil {
		return false, false, nil
	}
	b.deadline = deadline // for what the socket does not take
	if err := b.applyDeadline(); err != nil {
		return true, false, err
	}
	b.buf = batchBuffers.Get().(*[]byte)
	for _, p := range payloads {
		*b.buf = append(appendTextHeader(*b.buf, len(p)), p...)
	}
	n, err := b.writeNonblocking(*b.buf)
	if err != nil {
		return true, false, err
	}
	if n < len(*b.buf) {
		*b.buf = (*b.buf)[:copy(*b.buf, (*b.buf)[n:])]
		return true, false, nil
	}
	*b.buf = (*b.buf)[:0]
	batchBuffers.Put(b.buf)
	b.buf = nil
	return true, true, nil
}

// appendTextHeader appends the header of an unmasked, final text frame
// with a payload of n bytes (RFC 6455, section 5.2).
func appendTextHeader(dst []byte, n int) []byte {
	const finText = 0x81
	switch {
	case n < 126:
		return append(dst, finText, byte(n))
	case n < 1<<16:
		return append(dst, finText, 126, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, finText, 127), uint64(n))
	}
}

// canWriteNow says whether frames may be written by writeFramesNow: they
// fit in one gathering buffer, and the socket offers writes that do not
// wait.
func (b *batchConn) canWriteNow(frames [][]byte) bool {
	if b == nil || b.raw == nil {
		return false
	}
	n := 0
	for _, f := range frames {
		n += frameHeader + len(f)
	}
	return n <= maxBatch
}

// pending says whether bytes wait to be written: what writeFramesNow left.
func (b *batchConn) pending() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf != nil
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
	if err := b.applyDeadline(); err != nil {
		return 0, err
	}
	return b.Conn.Write(p)
}

// applyDeadline sets the write deadline asked for on the connection, which
// refuses writes, even those that would not wait, once the one set has
// passed. Setting a deadline costs a timer update: a later one is set only
// once the one set is deadlineSlack behind, so a busy connection's writes
// may end up to deadlineSlack sooner than asked, never later.
func (b *batchConn) applyDeadline() error {
	if b.deadline.Before(b.applied) || b.deadline.Sub(b.applied) > deadlineSlack {
		if err := b.Conn.SetWriteDeadline(b.deadline); err != nil {
			return err
		}
		b.applied = b.deadline
	}
	return nil
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
	if sc, ok := nc.(syscall.Conn); ok {
		h.conn.raw, _ = sc.SyscallConn()
	}
	if h.readBuffer > 0 && brw.Reader.Buffered() == 0 { // else the upgrade fails: data came before the handshake
		h.conn.in = bufio.NewReaderSize(h.conn, h.readBuffer)
		brw = bufio.NewReadWriter(h.conn.in, brw.Writer)
	}
	return h.conn, brw, nil
}
