package client

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
)

// BenchmarkConnWrite measures one connection delivering op frames to a
// phone over loopback, as fast as the phone reads them, upgraded as
// Handler does it: written at once by Send where the socket takes them
// (at-once), or queued to a writer goroutine that gathers what waits into
// one system call (queued); and upgraded plainly, written one by one by
// the writer.
func BenchmarkConnWrite(b *testing.B) {
	frame := []byte(`{"t":"op","v":1234,"id":"0d3c5d8e-1a2b-8c4d-9e5f-112233445566","by":"5e0f6a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b",` +
		`"byRole":"serviceUser","at":"2026-11-23T14:00:00.123Z","op":{"cardId":"7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e",` +
		`"index":2,"kind":"card.move","level":"conversation","stage":"do"}}`)
	for _, way := range []string{"at-once", "queued", "one-by-one"} {
		batched := way != "one-by-one"
		b.Run(way, func(b *testing.B) {
			conns := make(chan *Conn, 1)
			up := websocket.Upgrader{ReadBufferSize: readBuffer, WriteBufferSize: writeBuffer, WriteBufferPool: writeBuffers}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var ws *websocket.Conn
				var err error
				if batched {
					ws, err = up.Upgrade(&batchingHijack{ResponseWriter: w}, r, nil)
				} else {
					ws, err = up.Upgrade(w, r, nil)
				}
				if err != nil {
					return
				}
				c := newConn(ws, slog.New(slog.NewTextHandler(io.Discard, nil)))
				c.serving = true // writers start as frames come; no reader
				conns <- c
			}))
			defer srv.Close()
			phone, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer phone.Close()
			c := <-conns
			var got atomic.Int64
			read := make(chan struct{})
			go func() {
				defer close(read)
				for {
					if _, _, err := phone.NextReader(); err != nil {
						return
					}
					got.Add(1)
				}
			}()
			b.SetBytes(int64(len(frame)))
			sent := int64(0)
			send := c.Send
			if way == "queued" {
				send = c.Queue
			}
			for b.Loop() {
				for !send(frame) {
					runtime.Gosched() // the queue is full: let the writer catch up
				}
				sent++
			}
			for got.Load() < sent {
				runtime.Gosched()
			}
			c.Close(nil)
			<-c.closed
			<-read
		})
	}
}
