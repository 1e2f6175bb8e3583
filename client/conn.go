package client

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
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
	// keepQueue is the most room a send queue keeps once its frames are
	// written: one that grew past it for a burst is let go.
	keepQueue = 32
	// answerQueue is how many of the connection's own refusals wait to be
	// written; past it the reader waits, so a flood is slowed, not dropped.
	answerQueue = 64
	// opRate and opBurst limit ops per connection per second.
	opRate  = 20
	opBurst = 60
)

// Conn is one WebSocket connection. Its reader runs in a goroutine of its
// own. Its writer is started when there is something to write and ends
// once it has written all there was, so that an idle phone holds neither
// a writer nor a queue, and a crowd joining at once is not a crowd of
// writers. There is at most one writer at a time, and only the writer
// writes.
type Conn struct {
	// set at construction
	ws     *websocket.Conn
	out    *batchConn    // ws's connection when Handler upgraded it: gathers writes
	log    *slog.Logger  // the handler's: see logger
	id     uuid.UUID     // names the connection in logs
	quit   chan struct{} // closed by Close: the writer says goodbye
	closed chan struct{} // closed by the writer that closed the socket
	// misses, when set, limits joins of workshops that do not exist per
	// client address (who), as the HTTP lookups are limited.
	misses *Limiter
	who    string

	mu      sync.Mutex  // guards the fields below
	send    [][]byte    // frames from the room, at most sendQueue; grown by Send, dropped when the writer ends
	answers chan []byte // nacks from the reader, for frames the room never saw; made by refuse
	pinger  *time.Timer // asks for a ping every pingPeriod; set by serve, nil once closed
	pingDue bool        // the writer should ping
	serving bool        // serve has started: writers may run
	writing bool        // a writer runs

	closeOnce sync.Once
	last      []byte // the frame to write before closing; set once by Close

	// owned by the reader
	session *hub.Session // set once joined
}

var (
	_ hub.Member     = (*Conn)(nil)
	_ hub.Queuer     = (*Conn)(nil)
	_ hub.PairSender = (*Conn)(nil)
)

func newConn(ws *websocket.Conn, log *slog.Logger) *Conn {
	c := &Conn{ws: ws, log: log, id: uuid.New(), quit: make(chan struct{}), closed: make(chan struct{})}
	if ws != nil {
		c.out, _ = ws.NetConn().(*batchConn)
	}
	return c
}

// Send implements hub.Member: it writes frame at once if nothing else
// waits to be written and the socket takes it without waiting, else
// queues it; it never waits.
func (c *Conn) Send(frame []byte) bool {
	return c.add(true, frame)
}

// SendPair implements hub.PairSender: it sends first, then second, as
// Send would, in one system call when it writes them at once.
func (c *Conn) SendPair(first, second []byte) bool {
	return c.add(true, first, second)
}

// Queue implements hub.Queuer: it queues frame for a writer goroutine.
func (c *Conn) Queue(frame []byte) bool {
	return c.add(false, frame)
}

// add queues frames, or with now, writes them at once when it can.
func (c *Conn) add(now bool, frames ...[]byte) bool {
	c.mu.Lock()
	if c.closing() || len(c.send)+len(frames) > sendQueue {
		c.mu.Unlock()
		return false
	}
	if now && c.serving && !c.writing && len(c.send) == 0 && len(c.answers) == 0 && !c.pingDue && c.out.canWriteNow(frames) {
		c.writing = true
		c.mu.Unlock()
		c.writeNow(frames)
		return true
	}
	c.send = append(c.send, frames...)
	start := c.startWriter()
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
	return true
}

// writeNow writes frames on the caller's goroutine, as the connection's
// writer, as far as the socket takes them without waiting: most of the
// time a phone keeps up and all of it goes, with no writer goroutine
// started for one frame. What the socket did not take, and anything queued
// meanwhile, is left to a writer goroutine; so are the frames if the
// connection was being written to (by the reader, answering a ping).
func (c *Conn) writeNow(frames [][]byte) {
	taken, done, err := c.out.writeFramesNow(frames, time.Now().Add(writeWait))
	switch {
	case err != nil:
		c.Close(nil)
		c.finish(false)
		return
	case done && c.idleOut():
		return
	case !taken:
		c.mu.Lock()
		c.send = append(c.send, frames...)
		c.mu.Unlock()
	}
	go c.writeLoop()
}

// closing says whether Close was called.
func (c *Conn) closing() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// kick makes sure a writer sees what was just queued: it starts one
// unless one runs, which looks again before it ends.
func (c *Conn) kick() {
	c.mu.Lock()
	start := c.startWriter()
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// startWriter says whether a writer must be started, and counts it as
// running. c.mu must be held.
func (c *Conn) startWriter() bool {
	start := c.serving && !c.writing
	c.writing = c.writing || start
	return start
}

// ping asks the writer for a ping, every pingPeriod until the end. It runs
// in the timer's goroutine, which becomes the writer if none runs.
func (c *Conn) ping() {
	c.mu.Lock()
	if c.pinger == nil {
		c.mu.Unlock()
		return
	}
	c.pingDue = true
	c.pinger.Reset(pingPeriod)
	start := c.startWriter()
	c.mu.Unlock()
	if start {
		c.writeLoop()
	}
}

// Close implements hub.Member: the writer sends what is queued, then frame
// (if any), then closes the connection.
func (c *Conn) Close(frame []byte) {
	c.closeOnce.Do(func() {
		c.last = frame
		close(c.quit)
		c.kick()
	})
}

// serve runs the connection. It joins on the caller's goroutine, whose
// stack grows deep doing so; then the reader runs on goroutines of its
// own (see readOps), and writers when needed, until either ends. Then
// done is called, once the socket is closed and no writer runs.
func (c *Conn) serve(ctx context.Context, h *hub.Hub, done func()) {
	c.mu.Lock()
	c.serving = true
	c.pinger = time.AfterFunc(pingPeriod, c.ping)
	c.mu.Unlock()
	c.ws.SetReadLimit(maxFrame)
	c.ws.SetReadDeadline(time.Now().Add(joinWait))
	s := c.join(ctx, h)
	if s == nil {
		c.end(done)
		return
	}
	c.session = s
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error { return c.alive() })
	go c.readOps(s, newBucket(opRate, opBurst), done)
}

// end closes the connection and calls done once the writer has closed
// the socket.
func (c *Conn) end(done func()) {
	c.Close(nil)
	<-c.closed
	done()
}

// readOps reads ops until the connection fails or closes, then leaves the
// room and ends the connection. It waits for each frame on a goroutine
// that has done nothing else, whose stack is the smallest (see await):
// once it has handled what came, it hands the wait on to a new one.
func (c *Conn) readOps(s *hub.Session, limit *bucket, done func()) {
	var in *bufio.Reader // the read buffer, when Handler upgraded the connection
	if c.out != nil {
		in = c.out.in
	}
	for {
		if in != nil {
			await(in, c.alive)
		}
		data, ok := c.read()
		if !ok {
			break
		}
		c.ws.SetReadDeadline(time.Now().Add(pongWait))
		c.handle(s, limit, data)
		if in != nil && in.Buffered() == 0 {
			go c.readOps(s, limit, done)
			return
		}
	}
	s.Leave()
	c.end(done)
}

// alive extends the read deadline: the phone answered a ping.
func (c *Conn) alive() error {
	return c.ws.SetReadDeadline(time.Now().Add(pongWait))
}

// handle answers a frame read after join.
func (c *Conn) handle(s *hub.Session, limit *bucket, data []byte) {
	f, err := decodeFrame(data)
	switch {
	case err != nil:
		c.refuse(f.ID, board.CodeInvalid, "That message could not be read. It was ignored.")
	case f.T == "join":
		c.refuse("", board.CodeInvalid, "You have already joined this workshop.")
	case f.T != "op":
		c.refuse(f.ID, board.CodeInvalid, "Unknown message type. It was ignored.")
	case f.Op == nil:
		c.refuse(f.ID, board.CodeInvalid, "The change is missing.")
	case !limit.take(time.Now()):
		c.refuse(f.ID, board.CodeRateLimited, "Too many changes at once. Wait a moment and try again.")
	default:
		s.SubmitBase(f.ID, *f.Op, f.base())
	}
}

// refuse answers a frame the room never sees with a nack. It waits while
// the answers queue is full: a flooding client is slowed to the pace its
// answers are written at, and the room's queue stays the room's.
func (c *Conn) refuse(id, code, message string) {
	c.mu.Lock()
	if c.answers == nil {
		c.answers = make(chan []byte, answerQueue)
	}
	answers := c.answers
	c.mu.Unlock()
	select {
	case answers <- hub.NackFrame(id, &board.Error{Code: code, Message: message}):
		c.kick()
	case <-c.quit:
	}
}

// GuessingMessage is what a client is told when its address tried too
// many workshop codes that do not exist.
const GuessingMessage = "Too many workshop codes that do not exist were tried from this network. Check the code and try again in a minute."

// join reads the first frame, which must be join, and joins the room.
func (c *Conn) join(ctx context.Context, h *hub.Hub) *hub.Session {
	data, ok := c.read()
	if !ok {
		return nil
	}
	f, err := decodeFrame(data)
	if err != nil || f.T != "join" {
		c.Close(hub.ErrorFrame(&board.Error{Code: board.CodeBadJoin, Message: "Join the workshop first."}))
		return nil
	}
	if f.Code == "" {
		c.Close(hub.ErrorFrame(&board.Error{Code: board.CodeBadJoin, Message: "Type the workshop's join code."}))
		return nil
	}
	if c.misses != nil && c.misses.Wait(c.who) > 0 {
		c.Close(hub.ErrorFrame(&board.Error{Code: board.CodeRateLimited, Message: GuessingMessage}))
		return nil
	}
	s, jerr := h.Join(ctx, f.Code, f.joinRequest(), c)
	if jerr != nil && jerr.Code == board.CodeNotFound && c.misses != nil {
		c.misses.Allow(c.who)
	}
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
				c.logger().Debug("read", "err", err)
			}
			return nil, false
		}
		if kind == websocket.TextMessage {
			return data, true
		}
	}
}

// logger is the handler's logger saying which connection, workshop and
// participant this is. It is made when there is something to log, so that
// an idle connection holds no logger of its own. For the reader only.
func (c *Conn) logger() *slog.Logger {
	log := c.log.With("conn", c.id)
	if c.session != nil {
		log = log.With("workshop", c.session.WorkshopID(), "participant", c.session.You().ID)
	}
	return log
}

// writeLoop writes what is queued, gathering it into as few system calls
// as it fits in, until nothing is left; or until Close, when it says
// goodbye, or a write fails: then it closes the socket.
func (c *Conn) writeLoop() {
	var frames [][]byte
	var ping bool
	for {
		frames, ping = c.take(frames)
		if len(frames) == 0 && !ping && !c.out.pending() {
			if c.closing() {
				c.finish(true)
				return
			}
			if c.idleOut() {
				return
			}
			continue
		}
		if !c.writeAll(time.Now().Add(writeWait), frames, ping) {
			c.Close(nil)
			c.finish(false)
			return
		}
		clear(frames)
	}
}

// take returns what is queued, without waiting, and says whether a ping
// is due. The queue is swapped for spent, the writer's last batch (whose
// frames it has cleared), so that two buffers take turns.
func (c *Conn) take(spent [][]byte) ([][]byte, bool) {
	if cap(spent) > keepQueue {
		spent = nil
	}
	c.mu.Lock()
	batch, answers, ping := c.send, c.answers, c.pingDue
	c.send, c.pingDue = spent[:0], false
	c.mu.Unlock()
	for range answerQueue {
		select {
		case frame := <-answers:
			batch = append(batch, frame)
		default:
			return batch, ping
		}
	}
	return batch, ping
}

// idleOut ends the writer if nothing is queued and Close was not called
// (then the writer must say goodbye), and drops the empty queue. Anything
// queued after it starts another writer.
func (c *Conn) idleOut() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.send) > 0 || len(c.answers) > 0 || c.pingDue || c.closing() {
		return false
	}
	c.send, c.writing = nil, false
	return true
}

// writeAll writes frames, then a ping if asked, all by deadline.
func (c *Conn) writeAll(deadline time.Time, frames [][]byte, ping bool) bool {
	c.out.hold()
	if c.out != nil {
		c.out.SetWriteDeadline(deadline) // for bytes writeNow left
	}
	for _, frame := range frames {
		if !c.writeBy(deadline, websocket.TextMessage, frame) {
			c.out.release()
			return false
		}
	}
	if ping && !c.writeBy(deadline, websocket.PingMessage, nil) {
		c.out.release()
		return false
	}
	return c.out.release() == nil
}

// finish says goodbye if asked, then closes the socket and stops pinging.
func (c *Conn) finish(goodbye bool) {
	if goodbye {
		c.flush()
	}
	c.mu.Lock()
	if c.pinger != nil {
		c.pinger.Stop()
		c.pinger = nil
	}
	c.mu.Unlock()
	c.ws.Close()
	close(c.closed)
}

// flush writes what is still queued and the last frame, then says goodbye,
// all within one writeWait: a phone that reads slowly cannot stretch it.
func (c *Conn) flush() {
	deadline := time.Now().Add(writeWait)
	frames, _ := c.take(nil)
	if !c.writeAll(deadline, frames, false) {
		return
	}
	if c.last != nil && !c.writeBy(deadline, websocket.TextMessage, c.last) {
		return
	}
	c.writeBy(deadline, websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}

func (c *Conn) writeBy(deadline time.Time, kind int, data []byte) bool {
	c.ws.SetWriteDeadline(deadline)
	return c.ws.WriteMessage(kind, data) == nil
}
