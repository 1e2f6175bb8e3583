//go:build !unix

package client

import "syscall"

// writeNonblocking writes nothing where a write that does not wait is not to be
// had: the connection's writer writes it all.
func writeNonblocking(syscall.RawConn, []byte) (int, error) { return 0, nil }
