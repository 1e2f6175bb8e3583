//go:build unix

package client

import (
	"errors"
	"syscall"
)

// writeNonblocking writes p to raw's socket in one system call that does
// not wait for room in the socket's buffer, and returns how much it took:
// none when the buffer is full.
func writeNonblocking(raw syscall.RawConn, p []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), p)
		return true
	})
	if n < 0 {
		n = 0
	}
	switch {
	case err != nil:
		return n, err
	case errors.Is(werr, syscall.EAGAIN), errors.Is(werr, syscall.EINTR):
		return n, nil
	}
	return n, werr
}
