package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// With -target centrifugo the same phones speak Centrifugo's client
// protocol (JSON over WebSocket) instead of Withboard's: a workshop is a
// channel "room:N", joining is connect then subscribe, and an op is a
// publication whose data is the frame the phone would have sent to
// Withboard, so payloads match and its op id carries the send time to
// every subscriber. Centrifugo applies no rules and keeps no board: this
// measures the transport Withboard competes with. centrifugo.sh starts it.

// Targets the load command can measure.
const (
	targetWithboard  = "withboard"
	targetCentrifugo = "centrifugo"
)

const (
	// cfPath is where Centrifugo serves its bidirectional WebSocket.
	cfPath = "/connection/websocket"
	// cfRing is how many of a phone's publishes in flight keep their send
	// time for the ack latency: more than a seeding burst.
	cfRing = 128
	// Command ids of a join; publishes number on from cfFirstOp.
	cfConnectID, cfSubscribeID, cfFirstOp = 1, 2, 3
)

// cfPhone is a phone's Centrifugo session.
type cfPhone struct {
	// set at construction
	channel string

	mu     sync.Mutex // guards writes to the socket and nextID
	nextID uint32

	sent [cfRing]atomic.Int64 // by command id mod cfRing: ns since t0 it was sent
}

// centrifugoRooms names the run's workshops for Centrifugo: one channel
// each, nothing to create or delete on the server.
func centrifugoRooms(n int) []*workshop {
	ws := make([]*workshop, n)
	for i := range ws {
		ws[i] = &workshop{id: strconv.Itoa(i)}
	}
	return ws
}

// Kinds of message in a Centrifugo frame.
const (
	cfOther = iota
	cfPing
	cfReply
	cfPub
)

// cfMessage is one reply or push of a frame, as the load needs it.
type cfMessage struct {
	kind   int
	id     uint32 // cfReply: the command answered
	code   []byte // cfReply: the error code, when refused
	offset uint64 // cfReply to subscribe, cfPub: the stream position
	data   []byte // cfPub: the publication's data
}

var (
	cfPrefixReply = []byte(`{"id":`)
	cfPrefixPush  = []byte(`{"push":`)
	cfKeyError    = []byte(`"error":{`)
	cfKeyCode     = []byte(`"code":`)
	cfKeyOffset   = []byte(`"offset":`)
	cfKeyData     = []byte(`"pub":{"data":`)
)

// appendCFConnect appends the connect and subscribe commands of a join to
// b, one per line as the JSON protocol allows.
func appendCFJoin(b []byte, channel string) []byte {
	return fmt.Appendf(b, `{"id":%d,"connect":{"name":"withboard-load"}}`+"\n"+`{"id":%d,"subscribe":{"channel":%q}}`,
		cfConnectID, cfSubscribeID, channel)
}

// appendCFPublish appends a publish command of data, a JSON object, to b.
func appendCFPublish(b []byte, id uint32, channel string, data []byte) []byte {
	b = fmt.Appendf(b, `{"id":%d,"publish":{"channel":%q,"data":`, id, channel)
	b = append(b, data...)
	return append(b, "}}"...)
}

// eachCFMessage calls fn for every message of a frame: the server joins
// several with newlines.
func eachCFMessage(frame []byte, fn func(cfMessage)) {
	for len(frame) > 0 {
		line := frame
		if i := bytes.IndexByte(frame, '\n'); i >= 0 {
			line, frame = frame[:i], frame[i+1:]
		} else {
			frame = nil
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			fn(parseCFMessage(line))
		}
	}
}

// parseCFMessage reads one message. The server writes fields in the
// order of the protocol's schema: a reply starts with its id, a push
// with "push", and a publication's data comes before its offset.
func parseCFMessage(line []byte) cfMessage {
	switch {
	case bytes.Equal(line, []byte("{}")):
		return cfMessage{kind: cfPing}
	case bytes.HasPrefix(line, cfPrefixReply):
		m := cfMessage{kind: cfReply}
		id, _ := digits(line[len(cfPrefixReply):])
		m.id = uint32(id)
		if i := bytes.Index(line, cfKeyError); i >= 0 {
			rest := line[i+len(cfKeyError):]
			if j := bytes.Index(rest, cfKeyCode); j >= 0 {
				c := rest[j+len(cfKeyCode):]
				n := 0
				for n < len(c) && c[n] >= '0' && c[n] <= '9' {
					n++
				}
				m.code = c[:n]
			}
			if m.code == nil {
				m.code = []byte("?")
			}
			return m
		}
		if i := bytes.Index(line, cfKeyOffset); i >= 0 {
			m.offset, _ = digits(line[i+len(cfKeyOffset):])
		}
		return m
	case bytes.HasPrefix(line, cfPrefixPush):
		i := bytes.Index(line, cfKeyData)
		if i < 0 {
			return cfMessage{kind: cfOther}
		}
		rest := line[i+len(cfKeyData):]
		n := jsonObjectLen(rest)
		if n == 0 {
			return cfMessage{kind: cfOther}
		}
		m := cfMessage{kind: cfPub, data: rest[:n]}
		if j := bytes.Index(rest[n:], cfKeyOffset); j >= 0 {
			m.offset, _ = digits(rest[n+j+len(cfKeyOffset):])
		}
		return m
	}
	return cfMessage{kind: cfOther}
}

// digits reads the unsigned decimal number at the start of b.
func digits(b []byte) (uint64, bool) {
	var n uint64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + uint64(b[i]-'0')
	}
	return n, i > 0
}

// jsonObjectLen returns the length of the JSON object b starts with, or 0.
func jsonObjectLen(b []byte) int {
	if len(b) == 0 || b[0] != '{' {
		return 0
	}
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return 0
}

// joinCentrifugo connects, subscribes to the phone's channel and returns
// how long the subscribe reply took from sending the connect.
func (p *phone) joinCentrifugo(ctx context.Context) (time.Duration, error) {
	d := dialer
	nd := &net.Dialer{LocalAddr: p.src, Timeout: dialWait}
	d.NetDialContext = nd.DialContext
	ws, _, err := d.DialContext(ctx, "ws"+p.url[len("http"):]+cfPath, nil)
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	p.ws = ws
	ws.SetReadDeadline(time.Now().Add(joinWait))
	start := time.Now()
	if err := ws.WriteMessage(websocket.TextMessage, appendCFJoin(nil, p.cf.channel)); err != nil {
		ws.Close()
		return 0, fmt.Errorf("send connect: %w", err)
	}
	p.cf.nextID = cfFirstOp
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return 0, fmt.Errorf("read subscribe reply: %w", err)
		}
		took := time.Since(start)
		var joinErr error
		subscribed := false
		eachCFMessage(data, func(m cfMessage) {
			switch {
			case m.kind != cfReply:
			case m.code != nil:
				joinErr = fmt.Errorf("command %d refused: code %s", m.id, m.code)
			case m.id == cfSubscribeID:
				p.lastV, subscribed = int64(m.offset), true
			}
		})
		if joinErr != nil {
			ws.Close()
			return 0, joinErr
		}
		if subscribed {
			p.me = p.cf.channel
			ws.SetReadDeadline(time.Time{})
			return took, nil
		}
	}
}

// handleCentrifugo handles one frame from Centrifugo.
func (p *phone) handleCentrifugo(data []byte, now time.Time) {
	s := rec()
	s.bytesIn.Add(uint64(len(data)))
	eachCFMessage(data, func(m cfMessage) {
		switch m.kind {
		case cfPing:
			p.cfWrite([]byte("{}")) // protocol v2: the client answers a ping
		case cfPub:
			s.deliveries.Add(1)
			if at, ok := sentAt(field(m.data, kID, '"')); ok {
				took := now.Sub(at)
				s.latency.add(took)
				if s.tl != nil {
					s.tl.add(at, took)
				}
			}
			if n := int64(m.offset); n != p.lastV+1 {
				s.fail("order")
				p.lastV = max(p.lastV, n)
			} else {
				p.lastV = n
			}
			p.noteCard(m.data)
		case cfReply:
			if m.id < cfFirstOp {
				return
			}
			p.pending.Add(-1)
			if m.code != nil {
				s.fail("centrifugo:" + string(m.code))
				return
			}
			s.acked.Add(1)
			if ns := p.cf.sent[m.id%cfRing].Load(); ns > 0 {
				s.ackLatency.add(now.Sub(t0.Add(time.Duration(ns))))
			}
		default:
			s.fail("unknownFrame")
			if unknownOnce.CompareAndSwap(false, true) {
				fmt.Fprintf(os.Stderr, "withboard-load: unknown frame: %.120s\n", data)
			}
		}
	})
}

// publishCentrifugo sends op, a Withboard op frame, as a publication.
func (p *phone) publishCentrifugo(op []byte) error {
	p.cf.mu.Lock()
	id := p.cf.nextID
	p.cf.nextID++
	p.cf.sent[id%cfRing].Store(int64(time.Since(t0)))
	err := p.cfWriteLocked(appendCFPublish(nil, id, p.cf.channel, op))
	p.cf.mu.Unlock()
	return err
}

func (p *phone) cfWrite(msg []byte) error {
	p.cf.mu.Lock()
	defer p.cf.mu.Unlock()
	return p.cfWriteLocked(msg)
}

func (p *phone) cfWriteLocked(msg []byte) error {
	p.ws.SetWriteDeadline(time.Now().Add(writeWait))
	return p.ws.WriteMessage(websocket.TextMessage, msg)
}
