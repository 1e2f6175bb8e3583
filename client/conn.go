package client

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/withboard/withboard/hub"
)

// Connection limits and timings.
const (
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
	// joinWait is how long a new connection has to send join.
	joinWait = 10 * time.Second
	// maxFrame is the largest text frame read; larger closes with 1009.
	maxFrame = 16 << 10
	// sendQueue is how many frames wait for a slow phone before it is
	// dropped (it reconnects and resumes).
	sendQueue = 512
	// answerQueue is how many of the connection's own refusals wait to be
	// written; past it the reader waits, so a flood is slowed, not dropped.
	answerQueue = 64
	// opRate and opBurst limit ops per connection per second.
	opRate  = 20
	opBurst = 60
)

// Conn is one WebSocket connection. Its reader runs in the HTTP handler's
// goroutine and its writer in one of its own; only the writer writes.
type Conn struct {
	// set at construction
	ws      *websocket.Conn
	log     *slog.Logger
	send    chan []byte   // frames from the room
	answers chan []byte   // nacks from the reader, for frames the room never saw
	quit    chan struct{} // closed by Close: the writer ends

	closeOnce sync.Once
	last      []byte // the frame to write before closing; set once by Close
}

var _ hub.Member = (*Conn)(nil)

func newConn(ws *websocket.Conn, log *slog.Logger) *Conn {
	return &Conn{ws: ws, log: log, send: make(chan []byte, sendQueue), answers: make(chan []byte, answerQueue), quit: make(chan struct{})}
}

// Send implements hub.Member: it queues a frame without waiting.
func (c *Conn) Send(frame []byte) bool {
	select {
	case <-c.quit:
		return false
	default:
	}
	select {
	case c.send <- frame:
		return true
	default:
		return false
	}
}

// Close implements hub.Member: the writer sends what is queued, then frame
// (if any), then closes the connection.
func (c *Conn) Close(frame []byte) {
	c.closeOnce.Do(func() {
		c.last = frame
		close(c.quit)
	})
}

// serve runs the connection: the writer in a goroutine, the reader here,
// until either ends; it returns when both have.
func (c *Conn) serve(ctx context.Context, h *hub.Hub) {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	c.readLoop(ctx, h)
	c.Close(nil)
	<-writerDone
}

// readLoop reads join, then ops, until the connection fails or closes.
func (c *Conn) readLoop(ctx context.Context, h *hub.Hub) {
	c.ws.SetReadLimit(maxFrame)
	c.ws.SetReadDeadline(time.Now().Add(joinWait))
	s := c.join(ctx, h)
	if s == nil {
		return
	}
	defer s.Leave()
	c.log = c.log.With("workshop", s.WorkshopID(), "participant", s.You().ID)
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	limit := newBucket(opRate, opBurst)
	for {
		data, ok := c.read()
		if !ok {
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(pongWait))
		f, err := decodeFrame(data)
		switch {
		case err != nil:
			c.refuse(f.ID, hub.CodeInvalid, "That message could not be read. It was ignored.")
		case f.T == "join":
			c.refuse("", hub.CodeInvalid, "You have already joined this workshop.")
		case f.T != "op":
			c.refuse(f.ID, hub.CodeInvalid, "Unknown message type. It was ignored.")
		case f.Op == nil:
			c.refuse(f.ID, hub.CodeInvalid, "The change is missing.")
		case !limit.take(time.Now()):
			c.refuse(f.ID, hub.CodeRateLimited, "Too many changes at once. Wait a moment and try again.")
		default:
			s.Submit(f.ID, *f.Op)
		}
	}
}

// refuse answers a frame the room never sees with a nack. It waits while
// the answers queue is full: a flooding client is slowed to the pace its
// answers are written at, and the room's queue stays the room's.
func (c *Conn) refuse(id, code, message string) {
	select {
	case c.answers <- hub.NackFrame(id, &hub.Error{Code: code, Message: message}):
	case <-c.quit:
	}
}

// join reads the first frame, which must be join, and joins the room.
func (c *Conn) join(ctx context.Context, h *hub.Hub) *hub.Session {
	data, ok := c.read()
	if !ok {
		return nil
	}
	f, err := decodeFrame(data)
	if err != nil || f.T != "join" {
		c.Close(hub.ErrorFrame(&hub.Error{Code: hub.CodeBadJoin, Message: "Join the workshop first."}))
		return nil
	}
	if f.Code == "" {
		c.Close(hub.ErrorFrame(&hub.Error{Code: hub.CodeBadJoin, Message: "Type the workshop's join code."}))
		return nil
	}
	s, jerr := h.Join(ctx, f.Code, f.joinRequest(), c)
	if jerr != nil {
		c.Close(hub.ErrorFrame(jerr))
		return nil
	}
	return s
}

// read returns the next text frame; false when the connection is done.
func (c *Conn) read() ([]byte, bool) {
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) &&
				!errors.Is(err, websocket.ErrReadLimit) {
				c.log.Debug("read", "err", err)
			}
			return nil, false
		}
		if kind == websocket.TextMessage {
			return data, true
		}
	}
}

// writeLoop writes queued frames and pings until Close or a write fails.
func (c *Conn) writeLoop() {
	ping := time.NewTicker(pingPeriod)
	defer func() {
		ping.Stop()
		c.ws.Close()
	}()
	for {
		select {
		case frame := <-c.send:
			if !c.write(websocket.TextMessage, frame) {
				c.Close(nil)
				return
			}
		case frame := <-c.answers:
			if !c.write(websocket.TextMessage, frame) {
				c.Close(nil)
				return
			}
		case <-ping.C:
			if !c.write(websocket.PingMessage, nil) {
				c.Close(nil)
				return
			}
		case <-c.quit:
			c.flush()
			return
		}
	}
}

// flush writes what is still queued and the last frame, then says goodbye,
// all within one writeWait: a phone that reads slowly cannot stretch it.
func (c *Conn) flush() {
	deadline := time.Now().Add(writeWait)
	for {
		var frame []byte
		select {
		case frame = <-c.send:
		case frame = <-c.answers:
		default:
		}
		if frame == nil {
			break
		}
		if !c.writeBy(deadline, websocket.TextMessage, frame) {
			return
		}
	}
	if c.last != nil && !c.writeBy(deadline, websocket.TextMessage, c.last) {
		return
	}
	c.writeBy(deadline, websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}

func (c *Conn) write(kind int, data []byte) bool {
	return c.writeBy(time.Now().Add(writeWait), kind, data)
}

func (c *Conn) writeBy(deadline time.Time, kind int, data []byte) bool {
	c.ws.SetWriteDeadline(deadline)
	return c.ws.WriteMessage(kind, data) == nil
}
