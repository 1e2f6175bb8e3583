package main

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// honestCards is how many cards each honest phone adds before it only
// moves and edits them, so that a long soak stays far from the board's
// card limit.
const honestCards = 3

// honestFigures is what every honest phone records into.
type honestFigures struct {
	latency         hist // send to receipt of the op frame, at every honest phone
	sent, acked     atomic.Uint64
	replayed        atomic.Uint64 // ops received in a resuming welcome instead of as op frames
	maxFull         atomic.Int64  // largest full presence frame, bytes
	maxDelta        atomic.Int64  // largest delta presence frame, bytes
	attackApplied   atomic.Uint64 // op frames carrying an attacker's op id: must stay 0
	refused, closes tally         // nacks by code; unexpected ends by cause
	resumes         tally         // reconnects, by how welcome came back

	mu    sync.Mutex       // guards acks
	acks  map[string]int64 // op id -> version, as acknowledged to its sender
	peakV atomic.Int64     // highest version acknowledged
}

func newHonestFigures() *honestFigures { return &honestFigures{acks: map[string]int64{}} }

func (f *honestFigures) ack(id string, v int64) {
	f.mu.Lock()
	f.acks[id] = v
	f.mu.Unlock()
	for {
		p := f.peakV.Load()
		if v <= p || f.peakV.CompareAndSwap(p, v) {
			return
		}
	}
}

func storeMax(a *atomic.Int64, n int64) {
	for {
		m := a.Load()
		if n <= m || a.CompareAndSwap(m, n) {
			return
		}
	}
}

// honestPhone is a participant who behaves: it joins once, sends ops at a
// steady rate, reads every frame, and when the server drops it resumes
// with since and epoch, as the phone page does.
type honestPhone struct {
	// set at construction
	idx   int
	url   string
	code  string
	src   *net.TCPAddr
	delta bool // asks for presence deltas, as the web pages do
	fig   *honestFigures
	log   *versionLog

	mu      sync.Mutex // guards ws, for the op loop's writes and the reader's reconnects
	ws      *websocket.Conn
	token   string // owned by the reader after the first join
	epoch   string
	pending atomic.Int64 // ops sent and not yet answered
	closing atomic.Bool  // the soak is over; a closed socket is expected

	// owned by the op loop
	mine []string
	n    int
}

// honestFrame is the part of a server frame an honest phone looks at.
type honestFrame struct {
	T     string `json:"t"`
	V     int64  `json:"v"`
	ID    string `json:"id"`
	Code  string `json:"code"`
	Epoch string `json:"epoch"`
	You   struct {
		Token string `json:"token"`
	} `json:"you"`
	Ops []struct {
		V  int64  `json:"v"`
		ID string `json:"id"`
	} `json:"ops"`
	Board   json.RawMessage `json:"board"`
	Changed json.RawMessage `json:"changed"`
}

// join connects and joins (resuming from the log's last version after the
// first time), and returns welcome.
func (h *honestPhone) join(ctx context.Context) (honestFrame, error) {
	ws, err := dialFrom(ctx, h.url, h.src, 0)
	if err != nil {
		return honestFrame{}, err
	}
	j := map[string]any{"t": "join", "code": h.code, "name": fmt.Sprintf("Honest %d", h.idx), "role": roleOf(h.idx)}
	if h.delta {
		j["presence"] = "delta"
	}
	if h.token != "" {
		j["token"], j["since"], j["epoch"] = h.token, h.log.last(), h.epoch
	}
	msg, _ := json.Marshal(j)
	ws.SetReadDeadline(time.Now().Add(joinWait))
	if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		ws.Close()
		return honestFrame{}, err
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return honestFrame{}, err
		}
		var f honestFrame
		if err := json.Unmarshal(data, &f); err != nil {
			ws.Close()
			return honestFrame{}, err
		}
		switch f.T {
		case "welcome":
			ws.SetReadDeadline(time.Time{})
			h.mu.Lock()
			h.ws = ws
			h.mu.Unlock()
			h.token, h.epoch = f.You.Token, f.Epoch
			return f, nil
		case "error":
			ws.Close()
			return f, fmt.Errorf("join refused: %s", f.Code)
		}
	}
}

// read handles frames until the soak ends, resuming after a drop.
func (h *honestPhone) read(ctx context.Context) {
	for {
		h.mu.Lock()
		ws := h.ws
		h.mu.Unlock()
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				break
			}
			h.handle(data, time.Now())
		}
		if h.closing.Load() || ctx.Err() != nil {
			return
		}
		h.fig.closes.add("dropped")
		h.resume(ctx)
	}
}

// resume joins again with since and epoch until it is let back in.
func (h *honestPhone) resume(ctx context.Context) {
	for attempt := 0; ctx.Err() == nil && !h.closing.Load(); attempt++ {
		f, err := h.join(ctx)
		if err != nil {
			h.fig.resumes.add("failed")
			sleep(ctx, time.Duration(attempt+1)*500*time.Millisecond)
			continue
		}
		h.pending.Store(0) // answers to ops sent before the drop are lost with it
		if f.Board != nil {
			h.fig.resumes.add("board")
			h.log.reload(f.V)
			return
		}
		h.fig.resumes.add("ops")
		for _, op := range f.Ops {
			h.log.record(op.V, op.ID)
			h.fig.replayed.Add(1)
		}
		return
	}
}

func (h *honestPhone) handle(data []byte, now time.Time) {
	var f honestFrame
	if err := json.Unmarshal(data, &f); err != nil {
		h.fig.closes.add("undecodable frame")
		return
	}
	switch f.T {
	case "op":
		if at, ok := sentAt([]byte(f.ID)); ok && !isAttackID(f.ID) {
			h.fig.latency.add(now.Sub(at))
		}
		if isAttackID(f.ID) {
			h.fig.attackApplied.Add(1)
		}
		h.log.record(f.V, f.ID)
	case "ack":
		h.pending.Add(-1)
		h.fig.acked.Add(1)
		h.fig.ack(f.ID, f.V)
	case "nack":
		h.pending.Add(-1)
		h.fig.refused.add(f.Code)
	case "presence":
		if f.Changed != nil {
			storeMax(&h.fig.maxDelta, int64(len(data)))
		} else {
			storeMax(&h.fig.maxFull, int64(len(data)))
		}
	case "error", "bye":
		h.fig.closes.add(strings.TrimSpace(f.T + " " + f.Code))
	}
}

// run sends one op every interval until ctx ends: first its cards, then
// moves and edits of them.
func (h *honestPhone) run(ctx context.Context, every time.Duration) {
	sleep(ctx, time.Duration(mrand.Int64N(int64(every)))) // spread the phones
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.send(h.next())
	}
}

func (h *honestPhone) send(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending.Add(1)
	h.fig.sent.Add(1)
	h.ws.SetWriteDeadline(time.Now().Add(writeWait))
	if err := h.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		h.pending.Add(-1)
		h.fig.refused.add("write failed")
	}
}

func (h *honestPhone) next() []byte {
	id := opID(time.Now())
	if len(h.mine) < honestCards {
		card := newUUID()
		h.mine = append(h.mine, card)
		return fmt.Appendf(nil, `{"t":"op","id":"%s","op":{"kind":"card.add","card":{"id":"%s","text":"Honest idea %d from phone %d","stage":"%s","level":"%s"}}}`,
			id, card, len(h.mine), h.idx, stageIDs[mrand.IntN(4)], levelIDs[mrand.IntN(3)])
	}
	card := h.mine[mrand.IntN(len(h.mine))]
	if mrand.IntN(4) == 0 {
		h.n++
		return fmt.Appendf(nil, `{"t":"op","id":"%s","op":{"kind":"card.edit","cardId":"%s","text":"Honest idea from phone %d, edited %d times"}}`, id, card, h.idx, h.n)
	}
	return fmt.Appendf(nil, `{"t":"op","id":"%s","op":{"kind":"card.move","cardId":"%s","stage":"%s","level":"%s","index":%d}}`,
		id, card, stageIDs[mrand.IntN(4)], levelIDs[mrand.IntN(3)], mrand.IntN(3))
}

func (h *honestPhone) close() {
	h.closing.Store(true)
	h.mu.Lock()
	if h.ws != nil {
		h.ws.Close()
	}
	h.mu.Unlock()
}

// versionLog is the op id an honest phone received at each version, from
// the version its first welcome was at. A board reload (a resume the
// server could not replay) leaves a stretch it cannot vouch for.
type versionLog struct {
	mu    sync.Mutex // guards the rest
	base  int64      // versions up to base came in the first welcome's board
	ids   []string   // ids[i] is the op at version base+1+i, "" if not received
	holes [][2]int64 // [from, to] stretches skipped by a reload
	dups  int        // versions received twice
}

func newVersionLog(base int64) *versionLog { return &versionLog{base: base} }

func (l *versionLog) record(v int64, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := v - l.base - 1
	if i < 0 {
		l.dups++
		return
	}
	for int64(len(l.ids)) <= i {
		l.ids = append(l.ids, "")
	}
	if l.ids[i] != "" {
		l.dups++
	}
	l.ids[i] = id
}

// last is the highest version received with every one before it.
func (l *versionLog) last() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, id := range l.ids {
		if id == "" && !l.inHole(l.base+1+int64(i)) {
			return l.base + int64(i)
		}
	}
	return l.base + int64(len(l.ids))
}

// reload notes that the phone took a whole board at version v: the
// versions it had not received up to v are a hole, not lost ops.
func (l *versionLog) reload(v int64) {
	l.mu.Lock()
	from := l.base + int64(len(l.ids)) + 1
	for i, id := range l.ids {
		if id == "" && !l.inHole(l.base+1+int64(i)) {
			from = l.base + 1 + int64(i)
			break
		}
	}
	if from <= v {
		l.holes = append(l.holes, [2]int64{from, v})
	}
	for int64(len(l.ids)) < v-l.base {
		l.ids = append(l.ids, "")
	}
	l.mu.Unlock()
}

func (l *versionLog) inHole(v int64) bool {
	for _, h := range l.holes {
		if v >= h[0] && v <= h[1] {
			return true
		}
	}
	return false
}

// lostOp is an acknowledged op that did not reach a phone, or reached it
// under a different version.
type lostOp struct {
	phone int
	v     int64
	id    string // the acknowledged op's id
	got   string // what the phone had at v ("" for nothing)
}

// findLost checks every acknowledged op against every phone's log: each
// phone must have received it, at its version, unless the version came in
// that phone's first board or in a reload.
func findLost(acks map[string]int64, logs []*versionLog) []lostOp {
	var lost []lostOp
	for p, l := range logs {
		l.mu.Lock()
		for id, v := range acks {
			i := v - l.base - 1
			if i < 0 || l.inHole(v) {
				continue
			}
			got := ""
			if i < int64(len(l.ids)) {
				got = l.ids[i]
			}
			if got != id {
				lost = append(lost, lostOp{phone: p, v: v, id: id, got: got})
			}
		}
		l.mu.Unlock()
	}
	return lost
}

// gaps counts, over every log, versions up to top that a phone did not
// receive (whoever sent them), outside its holes.
func gaps(logs []*versionLog, top int64) int {
	n := 0
	for _, l := range logs {
		l.mu.Lock()
		for v := l.base + 1; v <= top; v++ {
			i := v - l.base - 1
			if (i >= int64(len(l.ids)) || l.ids[i] == "") && !l.inHole(v) {
				n++
			}
		}
		l.mu.Unlock()
	}
	return n
}

// tally counts outcomes by name, safe for concurrent use.
type tally struct {
	mu sync.Mutex // guards n
	n  map[string]uint64
}

func (t *tally) add(k string) {
	t.mu.Lock()
	if t.n == nil {
		t.n = map[string]uint64{}
	}
	t.n[k]++
	t.mu.Unlock()
}

// addUnless counts k unless ctx has ended: an attempt cut short by the
// end of the soak is no outcome.
func (t *tally) addUnless(ctx context.Context, k string) {
	if ctx.Err() == nil {
		t.add(k)
	}
}

func (t *tally) total() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s uint64
	for _, v := range t.n {
		s += v
	}
	return s
}

// String lists the counts, largest first.
func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.n) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(t.n))
	for k := range t.n {
		keys = append(keys, k)
	}
	sortByCount(keys, t.n)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, t.n[k])
	}
	return strings.Join(parts, ", ")
}
