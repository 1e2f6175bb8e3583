package client

import (
	"bufio"
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// clientFrame is one frame as a client sends it: masked, with the given
// first header byte (FIN, extension bits, opcode), of up to 64 KiB.
func clientFrame(first byte, payload string) []byte {
	key := []byte{1, 2, 3, 4}
	f := []byte{first, maskBit | byte(len(payload))}
	if len(payload) > maxControl {
		f = []byte{first, maskBit | 126, byte(len(payload) >> 8), byte(len(payload))}
	}
	f = append(f, key...)
	for i := range len(payload) {
		f = append(f, payload[i]^key[i%4])
	}
	return f
}

func concat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

// TestAwaitTakesPongsOnly: await takes the whole pongs at the front of
// the buffer and stops at the first frame of any other kind, or at a
// pong it should leave to the library, without consuming it.
func TestAwaitTakesPongsOnly(t *testing.T) {
	pong := clientFrame(finPong, "ping-1")
	text := clientFrame(0x80|websocket.TextMessage, `{"t":"op"}`)
	tests := []struct {
		name  string
		in    []byte
		pongs int
		left  []byte
	}{
		{"text", text, 0, text},
		{"pong then text", concat(pong, text), 1, text},
		{"pongs then ping", concat(pong, pong, clientFrame(0x80|websocket.PingMessage, "")), 2, clientFrame(0x80|websocket.PingMessage, "")},
		{"empty pong then close", concat(clientFrame(finPong, ""), clientFrame(0x80|websocket.CloseMessage, "")), 1, clientFrame(0x80|websocket.CloseMessage, "")},
		{"unmasked pong", concat([]byte{finPong, 0}, text), 0, concat([]byte{finPong, 0}, text)},
		{"pong with an extension bit", clientFrame(finPong|0x40, "x"), 0, clientFrame(finPong|0x40, "x")},
		{"pong without FIN", clientFrame(websocket.PongMessage, "x"), 0, clientFrame(websocket.PongMessage, "x")},
		{"pong with a long length", []byte{finPong, maskBit | 126, 0, 200}, 0, []byte{finPong, maskBit | 126, 0, 200}},
		{"half a pong, then the end", pong[:4], 0, pong[:4]},
		{"nothing, then the end", nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := bufio.NewReaderSize(bytes.NewReader(tt.in), readBuffer)
			pongs := 0
			await(in, func() error { pongs++; return nil })
			if pongs != tt.pongs {
				t.Errorf("pongs taken: got %d, want %d", pongs, tt.pongs)
			}
			left, _ := in.Peek(in.Buffered())
			if !bytes.Equal(left, tt.left) {
				t.Errorf("left in the buffer: got % x, want % x", left, tt.left)
			}
		})
	}
}

// TestAwaitWaitsForTheRestOfAPong: a pong that arrives in pieces is taken
// whole once it is all in, and await goes on waiting after it.
func TestAwaitWaitsForTheRestOfAPong(t *testing.T) {
	r, w := io.Pipe()
	defer r.Close()
	in := bufio.NewReaderSize(r, readBuffer)
	pongs := make(chan struct{}, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		await(in, func() error { pongs <- struct{}{}; return nil })
	}()
	pong := clientFrame(finPong, "abc")
	text := clientFrame(0x80|websocket.TextMessage, "{}")
	w.Write(pong[:3])
	select {
	case <-done:
		t.Fatal("await returned on a third of a pong, want it to wait")
	case <-pongs:
		t.Fatal("a third of a pong taken as a pong")
	case <-time.After(50 * time.Millisecond):
	}
	w.Write(pong[3:])
	<-pongs
	select {
	case <-done:
		t.Fatal("await returned after a pong, want it to wait for the next frame")
	case <-time.After(50 * time.Millisecond):
	}
	w.Write(text)
	<-done
	if left, _ := in.Peek(in.Buffered()); !bytes.Equal(left, text) {
		t.Fatalf("left in the buffer: got % x, want the text frame % x", left, text)
	}
}

// TestPipelinedFramesAndPongs: join, pongs and ops sent in one write are
// all read. The reader waits on the buffer the WebSocket library reads
// from; were they two buffers, the ops would wait unread.
func TestPipelinedFramesAndPongs(t *testing.T) {
	e := newEndpoint(t, Config{})
	ws := e.dial(t)
	join := clientFrame(0x80|websocket.TextMessage, `{"t":"join","code":"`+e.code+`","role":"staff"}`)
	pong := clientFrame(finPong, "")
	op := func() []byte { return clientFrame(0x80|websocket.TextMessage, string(opFrame(t, 200))) }
	if _, err := ws.NetConn().Write(concat(join, pong, op(), pong, pong, op(), pong)); err != nil {
		t.Fatal(err)
	}
	if readUntil(t, ws, "welcome") == nil {
		t.Fatal("connection closed before welcome")
	}
	for i := range 2 {
		if readUntil(t, ws, "ack") == nil {
			t.Fatalf("connection closed after %d acks, want 2", i)
		}
	}
}
