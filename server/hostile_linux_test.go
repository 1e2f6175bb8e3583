package main

import (
	"net"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// slowPhoneDialer dials like a phone on a poor link: a small receive
// buffer and small segments, so that the server's socket buffers for it
// stay small (on loopback they would hold megabytes) and its queue fills
// with few frames.
func slowPhoneDialer() *websocket.Dialer {
	nd := &net.Dialer{Timeout: 10 * time.Second, Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) {
			if err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096); err == nil {
				err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, 536)
			}
		})
		return err
	}}
	return &websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: 10 * time.Second}
}
