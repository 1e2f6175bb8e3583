//go:build !linux

package main

import "github.com/gorilla/websocket"

// slowPhoneDialer is the default dialer where socket buffers cannot be
// shrunk: the test sends more before the queue fills.
func slowPhoneDialer() *websocket.Dialer { return websocket.DefaultDialer }
