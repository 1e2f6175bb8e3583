//go:build !unix

package client

// nonblockingWriter is empty where a write that does not wait is not to be
// had.
type nonblockingWriter struct{}

// writeNonblocking writes nothing where a write that does not wait is not
// to be had: the connection's writer writes it all.
func (b *batchConn) writeNonblocking([]byte) (int, error) { return 0, nil }
