//go:build unix

package client

import (
	"errors"
	"syscall"
)

// nonblockingWriter is a connection's means of writing without waiting.
// Its callback for the socket is made once: a closure made for each write
// cost three allocations per delivery.
type nonblockingWriter struct {
	p   []byte
	n   int
	err error
	fn  func(fd uintptr) bool // w.write, bound once
}

func (w *nonblockingWriter) write(fd uintptr) bool {
	w.n, w.err = syscall.Write(int(fd), w.p)
	return true
}

// writeNonblocking writes p to the socket in one system call that does
// not wait for room in the socket's buffer, and returns how much it took:
// none when the buffer is full. b.mu must be held.
func (b *batchConn) writeNonblocking(p []byte) (int, error) {
	w := &b.nb
	if w.fn == nil {
		w.fn = w.write
	}
	w.p = p
	err := b.raw.Write(w.fn)
	n, werr := max(w.n, 0), w.err
	w.p, w.n, w.err = nil, 0, nil
	switch {
	case err != nil:
		return n, err
	case errors.Is(werr, syscall.EAGAIN), errors.Is(werr, syscall.EINTR):
		return n, nil
	}
	return n, werr
}
