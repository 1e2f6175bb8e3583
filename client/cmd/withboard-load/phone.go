package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Phone timings and limits.
const (
	dialWait  = 10 * time.Second
	joinWait  = 15 * time.Second
	writeWait = 10 * time.Second
	// seedBurst is how many cards one phone adds at once when a board is
	// seeded: under the server's burst of 60 ops per connection.
	seedBurst = 50
	// maxBoardCards stops phones adding cards to a board that has this
	// many, so long runs stay below the server's limit of 2,000.
	maxBoardCards = 1000
)

// t0 is when the run started; op ids carry the time since then.
var t0 = time.Now()

// opID returns a UUID (version 8, RFC 9562) whose first 48 bits are the
// nanoseconds since t0: every phone that receives the op can tell how
// long it took to arrive without asking the sender.
func opID(now time.Time) string {
	var b [16]byte
	rand.Read(b[6:])
	ns := uint64(now.Sub(t0))
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], ns)
	copy(b[:6], t[2:])
	b[6] = 0x80 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// sentAt reads the send time back from an op id made by opID.
func sentAt(id []byte) (time.Time, bool) {
	if len(id) < 13 || id[8] != '-' {
		return time.Time{}, false
	}
	var hx [12]byte
	copy(hx[:8], id[:8])
	copy(hx[8:], id[9:13])
	var raw [8]byte
	if _, err := hex.Decode(raw[2:], hx[:]); err != nil {
		return time.Time{}, false
	}
	return t0.Add(time.Duration(binary.BigEndian.Uint64(raw[:]))), true
}

func newUUID() string { return opID(time.Now()) }

// workshop is one workshop of the run and what its phones know about it.
type workshop struct {
	// set at creation
	id, code, key string

	mu    sync.Mutex // guards cards
	cards []string   // card ids, in the order of their versions, as phone 0 saw them
}

// known returns one of the first n cards of the workshop, or "".
func (w *workshop) known(n int64) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	n = min(n, int64(len(w.cards)))
	if n == 0 {
		return ""
	}
	return w.cards[mrand.Int64N(n)]
}

// phone is one simulated participant: one WebSocket connection that sends
// ops at a set rate and checks every frame it receives.
type phone struct {
	// set at construction
	w        *workshop
	idx      int // index within its workshop; phone 0 records the cards
	url      string
	src      *net.TCPAddr
	mix      *mix
	interval *atomic.Int64 // nanoseconds between ops; 0: send none
	cf       *cfPhone      // with -target centrifugo, its session; nil for Withboard
	fullList bool          // read whole presence lists (-presence-full)

	ws *websocket.Conn
	me string

	// owned by the reader
	lastV   int64
	buf     bytes.Buffer
	seen    atomic.Int64 // card.add ops seen, welcome's cards included
	pending atomic.Int64 // ops sent and not yet answered
	closing atomic.Bool  // the run is over; a closed socket is expected

	// owned by the op loop
	budget, spent int
	votes         map[string]int // card id -> my votes
	mine          []string       // cards I added
	n             int
	out           []byte
}

var dialer = websocket.Dialer{
	HandshakeTimeout: dialWait,
	ReadBufferSize:   2048,
	WriteBufferSize:  1024,
	WriteBufferPool:  &sync.Pool{},
}

// join connects and joins, and returns how long welcome took.
func (p *phone) join(ctx context.Context) (time.Duration, error) {
	if p.cf != nil {
		return p.joinCentrifugo(ctx)
	}
	d := dialer
	nd := &net.Dialer{LocalAddr: p.src, Timeout: dialWait}
	d.NetDialContext = nd.DialContext
	u := "ws" + p.url[len("http"):] + "/ws"
	ws, resp, err := d.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			return 0, errRateLimited
		}
		return 0, fmt.Errorf("dial: %w", err)
	}
	p.ws = ws
	ws.SetReadDeadline(time.Now().Add(joinWait))
	start := time.Now()
	// As the web phone does, ask for presence deltas after one whole list.
	presence := `,"presence":"delta"`
	if p.fullList {
		presence = ""
	}
	msg := fmt.Appendf(nil, `{"t":"join","code":%q,"name":"Phone %d","role":"%s"%s}`, p.w.code, p.idx, roleOf(p.idx), presence)
	if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		ws.Close()
		return 0, fmt.Errorf("send join: %w", err)
	}
	for {
		_, data, err := ws.ReadMessage()
		took := time.Since(start) // before decoding: a big board takes a while
		if err != nil {
			ws.Close()
			return 0, fmt.Errorf("read welcome: %w", err)
		}
		var f struct {
			T    string `json:"t"`
			Code string `json:"code"`
			V    int64  `json:"v"`
			You  struct {
				ID string `json:"id"`
			} `json:"you"`
			Board *struct {
				VoteBudget int `json:"voteBudget"`
				Cards      []struct {
					ID string `json:"id"`
				} `json:"cards"`
			} `json:"board"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			ws.Close()
			return 0, fmt.Errorf("decode: %w", err)
		}
		switch f.T {
		case "welcome":
			p.me, p.lastV, p.budget = f.You.ID, f.V, 3
			if f.Board != nil {
				p.budget = f.Board.VoteBudget
				p.seen.Store(int64(len(f.Board.Cards)))
				if p.idx == 0 {
					p.w.mu.Lock()
					for _, c := range f.Board.Cards {
						p.w.cards = append(p.w.cards, c.ID)
					}
					p.w.mu.Unlock()
				}
			}
			ws.SetReadDeadline(time.Time{})
			return took, nil
		case "error":
			ws.Close()
			return 0, fmt.Errorf("join refused: %s", f.Code)
		}
	}
}

var unknownOnce atomic.Bool

var errRateLimited = errors.New("join rate limited")

func roleOf(i int) string {
	if i%5 == 4 {
		return "staff"
	}
	return "serviceUser"
}

// Frame prefixes: the server writes "t" first in every frame.
var (
	pOp       = []byte(`{"t":"op",`)
	pAck      = []byte(`{"t":"ack",`)
	pNack     = []byte(`{"t":"nack",`)
	pPresence = []byte(`{"t":"presence",`)
	pError    = []byte(`{"t":"error",`)
	pBye      = []byte(`{"t":"bye",`)
	kID       = []byte(`"id":"`)
	kV        = []byte(`"v":`)
	kAddCard  = []byte(`"card":{"id":"`)
	kAdd      = []byte(`"card.add"`)
)

// read handles every frame until the connection ends.
func (p *phone) read() {
	for {
		_, r, err := p.ws.NextReader()
		if err != nil {
			if !p.closing.Load() {
				rec().fail("closed")
			}
			return
		}
		p.buf.Reset()
		if _, err := p.buf.ReadFrom(r); err != nil {
			continue
		}
		if p.cf != nil {
			p.handleCentrifugo(p.buf.Bytes(), time.Now())
		} else {
			p.handle(p.buf.Bytes(), time.Now())
		}
	}
}

func (p *phone) handle(data []byte, now time.Time) {
	s := rec()
	s.bytesIn.Add(uint64(len(data)))
	switch {
	case bytes.HasPrefix(data, pOp):
		s.deliveries.Add(1)
		v, id := field(data, kV, ','), field(data, kID, '"')
		if at, ok := sentAt(id); ok {
			took := now.Sub(at)
			s.latency.add(took)
			if s.tl != nil {
				s.tl.add(at, took)
			}
		}
		if n, err := strconv.ParseInt(string(v), 10, 64); err != nil || n != p.lastV+1 {
			s.fail("order")
			p.lastV = max(p.lastV, n)
		} else {
			p.lastV = n
		}
		p.noteCard(data)
	case bytes.HasPrefix(data, pAck):
		s.acked.Add(1)
		p.pending.Add(-1)
		if at, ok := sentAt(field(data, kID, '"')); ok {
			s.ackLatency.add(now.Sub(at))
		}
	case bytes.HasPrefix(data, pNack):
		p.pending.Add(-1)
		var f struct{ Code string }
		json.Unmarshal(data, &f)
		s.fail(f.Code)
	case bytes.HasPrefix(data, pPresence):
	case bytes.HasPrefix(data, pError):
		var f struct{ Code string }
		json.Unmarshal(data, &f)
		s.fail("error:" + f.Code)
	case bytes.HasPrefix(data, pBye):
		s.fail("bye")
	default:
		s.fail("unknownFrame")
		if unknownOnce.CompareAndSwap(false, true) {
			fmt.Fprintf(os.Stderr, "withboard-load: unknown frame: %.120s\n", data)
		}
	}
}

// noteCard counts a card.add op, and phone 0 records the card.
func (p *phone) noteCard(op []byte) {
	if !bytes.Contains(op, kAdd) {
		return
	}
	if p.idx == 0 {
		if c := field(op, kAddCard, '"'); len(c) == 36 {
			p.w.mu.Lock()
			p.w.cards = append(p.w.cards, string(c))
			p.w.mu.Unlock()
		}
	}
	p.seen.Add(1)
}

// field returns the bytes after the first key up to end.
func field(data, key []byte, end byte) []byte {
	i := bytes.Index(data, key)
	if i < 0 {
		return nil
	}
	rest := data[i+len(key):]
	j := bytes.IndexByte(rest, end)
	if j < 0 {
		return nil
	}
	return rest[:j]
}

// run sends ops at the phone's interval until ctx ends.
func (p *phone) run(ctx context.Context) {
	p.votes = map[string]int{}
	first := true
	for {
		iv := time.Duration(p.interval.Load())
		var wait time.Duration
		switch {
		case iv <= 0:
			wait = 100 * time.Millisecond
		case first:
			wait = time.Duration(mrand.Int64N(int64(iv))) // spread phones evenly
		default:
			wait = iv*9/10 + time.Duration(mrand.Int64N(int64(iv/5)+1)) // ±10%
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if iv <= 0 {
			continue
		}
		first = false
		if !p.send(p.next()) {
			return
		}
	}
}

// seed adds n cards at once, to fill a board before the measured run.
func (p *phone) seed(n int) bool {
	for range n {
		if !p.send(p.add()) {
			return false
		}
	}
	return true
}

func (p *phone) send(msg []byte) bool {
	p.out = msg[:0]
	p.pending.Add(1)
	rec().sent.Add(1)
	var err error
	if p.cf != nil {
		err = p.publishCentrifugo(msg)
	} else {
		p.ws.SetWriteDeadline(time.Now().Add(writeWait))
		err = p.ws.WriteMessage(websocket.TextMessage, msg)
	}
	if err != nil {
		if !p.closing.Load() {
			rec().fail("write")
		}
		return false
	}
	return true
}

var (
	stageIDs = []string{"plan", "do", "assess", "review"}
	levelIDs = []string{"consultation", "conversation", "participation"}
)

// next picks an op of the mix that the rules allow this phone to send now.
func (p *phone) next() []byte {
	card := p.w.known(p.seen.Load())
	kind := p.mix.pick()
	switch {
	case card == "":
		return p.add()
	case kind == kindAdd && p.seen.Load() >= maxBoardCards:
		kind = kindMove
	case kind == kindEdit && len(p.mine) == 0:
		kind = kindAdd
	}
	id := opID(time.Now())
	switch kind {
	case kindVote:
		if p.spent >= p.budget || (p.spent > 0 && mrand.IntN(2) == 0) {
			for c, n := range p.votes {
				if n > 0 {
					p.votes[c]--
					if p.votes[c] == 0 {
						delete(p.votes, c)
					}
					p.spent--
					return fmt.Appendf(p.out[:0], `{"t":"op","id":"%s","op":{"kind":"card.vote","cardId":"%s","delta":-1}}`, id, c)
				}
			}
		}
		if p.spent < p.budget {
			p.votes[card]++
			p.spent++
			return fmt.Appendf(p.out[:0], `{"t":"op","id":"%s","op":{"kind":"card.vote","cardId":"%s","delta":1}}`, id, card)
		}
		fallthrough
	case kindMove:
		return fmt.Appendf(p.out[:0], `{"t":"op","id":"%s","op":{"kind":"card.move","cardId":"%s","stage":"%s","level":"%s","index":%d}}`,
			id, card, stageIDs[mrand.IntN(4)], levelIDs[mrand.IntN(3)], mrand.IntN(4))
	case kindEdit:
		p.n++
		return fmt.Appendf(p.out[:0], `{"t":"op","id":"%s","op":{"kind":"card.edit","cardId":"%s","text":"Idea from phone %d, edited %d times"}}`,
			id, p.mine[mrand.IntN(len(p.mine))], p.idx, p.n)
	default:
		return p.add()
	}
}

func (p *phone) add() []byte {
	p.n++
	card := newUUID()
	p.mine = append(p.mine, card)
	return fmt.Appendf(p.out[:0], `{"t":"op","id":"%s","op":{"kind":"card.add","card":{"id":"%s","text":"Idea %d from phone %d: ask people what they think before we start","stage":"%s","level":"%s"}}}`,
		opID(time.Now()), card, p.n, p.idx, stageIDs[mrand.IntN(4)], levelIDs[mrand.IntN(3)])
}

// Op kinds of the mix.
const (
	kindMove = iota
	kindVote
	kindAdd
	kindEdit
)

// mix is how often each kind of op is sent, in percent.
type mix struct{ move, vote, add, edit int }

func (m *mix) pick() int {
	n := mrand.IntN(m.move + m.vote + m.add + m.edit)
	switch {
	case n < m.move:
		return kindMove
	case n < m.move+m.vote:
		return kindVote
	case n < m.move+m.vote+m.add:
		return kindAdd
	default:
		return kindEdit
	}
}

func parseMix(s string) (*mix, error) {
	m := &mix{}
	for _, part := range bytes.Split([]byte(s), []byte(",")) {
		k, v, ok := bytes.Cut(part, []byte("="))
		n, err := strconv.Atoi(string(v))
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("mix %q: want kind=percent pairs separated by commas", s)
		}
		switch string(k) {
		case "move":
			m.move = n
		case "vote":
			m.vote = n
		case "add":
			m.add = n
		case "edit":
			m.edit = n
		default:
			return nil, fmt.Errorf("mix: unknown kind %q", k)
		}
	}
	if m.move+m.vote+m.add+m.edit == 0 {
		return nil, errors.New("mix: all zero")
	}
	return m, nil
}
