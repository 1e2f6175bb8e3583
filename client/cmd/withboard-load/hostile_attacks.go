package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// How hard each attack pushes. Every attack comes from loopback addresses
// of its own (127.<group>.x.y), so that the server's per-address limits
// are seen where an attacker meets them and not where another does.
const (
	floodRate      = 40  // tokenless joins per second
	floodPerSource = 200 // joins from one address before the flood moves to the next: under the server's burst of 300
	guessHTTPRate  = 100 // lookups of random codes per second, from one address
	guessWSRate    = 40  // joins with random codes per second, from one address
	framesEvery    = 40 * time.Millisecond
	oversizedEvery = 250 * time.Millisecond
	slowReaders    = 20
	slowRcvBuf     = 4096 // bytes of receive buffer a slow reader asks for
	drainWait      = 5 * time.Second
	stormPhones    = 100
	stormPerSource = 25
)

// Address groups, the second byte of each attack's source addresses.
const (
	groupFlood = 10 + iota
	groupGuessHTTP
	groupGuessWS
	groupFrames
	groupSlow
	groupStorm
)

func attackAddr(group, n int) *net.TCPAddr {
	n++ // never .0
	return &net.TCPAddr{IP: net.IPv4(127, byte(group), byte(n>>8), byte(n))}
}

// attacks holds every attack's outcomes.
type attacks struct {
	flood, guessHTTP, guessWS    tally
	oversized, malformed         tally
	slow, storm                  tally
	httpFirst429, wsFirst429     atomic.Int64 // tries before the first 429, -1 before one
	httpFirst429At, wsFirst429At atomic.Int64 // nanoseconds into the soak
	rejoin                       hist         // a storm phone's resume, send to welcome
	storms                       atomic.Int64
	slowBytes                    atomic.Int64 // what slow readers found waiting when they read

	mu   sync.Mutex // guards held
	held []*websocket.Conn
}

func newAttacks() *attacks {
	a := &attacks{}
	a.httpFirst429.Store(-1)
	a.wsFirst429.Store(-1)
	return a
}

func (a *attacks) hold(ws *websocket.Conn) {
	a.mu.Lock()
	a.held = append(a.held, ws)
	a.mu.Unlock()
	go discard(ws)
}

func (a *attacks) closeHeld() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ws := range a.held {
		ws.Close()
	}
	a.held = nil
}

// discard reads and drops every frame until the connection ends.
func discard(ws *websocket.Conn) {
	for {
		if _, _, err := ws.NextReader(); err != nil {
			return
		}
	}
}

// every calls f at rate per second until ctx ends, each call in a
// goroutine of its own, at most limit at once.
func every(ctx context.Context, rate float64, limit int, f func(i int)) {
	sem := make(chan struct{}, limit)
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			continue // the server is slow to answer: do not pile up
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
}

// joinFlood joins as new people without tokens: a third leave at once, a
// third stay a few seconds, a third stay to the end. Past the workshop's
// capacity each gets error full.
func (s *soak) joinFlood(ctx context.Context) {
	every(ctx, floodRate, 200, func(i int) {
		ws, err := dialFrom(ctx, s.url, attackAddr(groupFlood, i/floodPerSource), 0)
		if err != nil {
			s.att.flood.addUnless(ctx, outcome(err))
			return
		}
		a, err := joinWith(ws, fmt.Appendf(nil, `{"t":"join","code":%q,"name":"Flood %d","role":"serviceUser"}`, s.w.code, i))
		if err != nil {
			s.att.flood.addUnless(ctx, outcome(err))
			ws.Close()
			return
		}
		s.att.flood.add(a.name())
		switch {
		case a.T != "welcome" || i%3 == 0:
			ws.Close()
		case i%3 == 1:
			go func() {
				defer ws.Close()
				ws.SetReadDeadline(time.Now().Add(time.Duration(1+mrand.IntN(5)) * time.Second))
				discard(ws)
			}()
		default:
			s.att.hold(ws)
		}
	})
}

// guessHTTP looks up random codes from one address and notes when it is
// first refused.
func (s *soak) guessHTTP(ctx context.Context) {
	d := &net.Dialer{LocalAddr: attackAddr(groupGuessHTTP, 0), Timeout: dialWait}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}}
	defer c.CloseIdleConnections()
	var tries atomic.Int64
	every(ctx, guessHTTPRate, 16, func(int) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/api/workshops/"+randomCode(), nil)
		resp, err := c.Do(req)
		n := tries.Add(1)
		if ctx.Err() != nil {
			return
		}
		st := httpStatus(resp, err)
		if err == nil {
			resp.Body.Close()
		}
		s.att.guessHTTP.add(st)
		if st == "429" && s.att.httpFirst429.CompareAndSwap(-1, n-1) {
			s.att.httpFirst429At.Store(int64(time.Since(s.start)))
		}
	})
}

// guessWS joins with random codes from one address.
func (s *soak) guessWS(ctx context.Context) {
	var tries atomic.Int64
	every(ctx, guessWSRate, 16, func(int) {
		ws, err := dialFrom(ctx, s.url, attackAddr(groupGuessWS, 0), 0)
		n := tries.Add(1)
		if err != nil {
			st := outcome(err)
			s.att.guessWS.addUnless(ctx, st)
			if st == "http 429" && s.att.wsFirst429.CompareAndSwap(-1, n-1) {
				s.att.wsFirst429At.Store(int64(time.Since(s.start)))
			}
			return
		}
		defer ws.Close()
		a, err := joinWith(ws, fmt.Appendf(nil, `{"t":"join","code":%q,"role":"staff"}`, randomCode()))
		if err != nil {
			s.att.guessWS.addUnless(ctx, outcome(err))
			return
		}
		s.att.guessWS.add(a.name())
	})
}

// member is an attacker who joined once as a participant and comes back
// with its token, so that its attacks reach a joined connection even once
// the flood has filled the workshop.
type member struct {
	src   *net.TCPAddr
	token string
	name  string
}

func (s *soak) rejoin(ctx context.Context, m *member, rcvBuf int) (*websocket.Conn, joinAnswer, error) {
	ws, err := dialFrom(ctx, s.url, m.src, rcvBuf)
	if err != nil {
		return nil, joinAnswer{}, err
	}
	j := map[string]any{"t": "join", "code": s.w.code, "name": m.name, "role": "serviceUser"}
	if m.token != "" {
		j["token"] = m.token
	}
	frame, _ := json.Marshal(j)
	a, err := joinWith(ws, frame)
	if err == nil && a.T != "welcome" {
		err = fmt.Errorf("join refused: %s", a.Code)
	}
	if err != nil {
		ws.Close()
		return nil, a, err
	}
	m.token = a.Token
	return ws, a, nil
}

// oversized alternately sends a join and, after joining, an op, each over
// the server's frame limit: each must close the connection with 1009.
func (s *soak) oversized(ctx context.Context, m *member) {
	t := time.NewTicker(oversizedEvery)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var ws *websocket.Conn
		var frame []byte
		var err error
		kind := "op"
		if i%2 == 0 {
			kind = "join"
			frame = oversizedJoin(s.w.code, serverMaxFrame+1024)
			ws, err = dialFrom(ctx, s.url, m.src, 0)
		} else {
			frame = oversizedOp(serverMaxFrame + 1024)
			ws, _, err = s.rejoin(ctx, m, 0)
		}
		if err != nil {
			s.att.oversized.add(kind + ": before sending, " + outcome(err))
			continue
		}
		ws.SetWriteDeadline(time.Now().Add(writeWait))
		ws.WriteMessage(websocket.TextMessage, frame)
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		for err == nil {
			var data []byte
			_, data, err = ws.ReadMessage()
			if err == nil && kind == "join" && (len(data) > 12 && string(data[:12]) == `{"t":"welcom`) {
				err = fmt.Errorf("welcome")
			}
		}
		ws.Close()
		s.att.oversized.add(kind + ": " + outcome(err))
	}
}

// malformedLoop keeps one joined connection sending malformed frames, a
// little faster than the server's op rate, and tallies the answers.
func (s *soak) malformedLoop(ctx context.Context, m *member) {
	for ctx.Err() == nil {
		ws, _, err := s.rejoin(ctx, m, 0)
		if err != nil {
			s.att.malformed.add("join: " + outcome(err))
			sleep(ctx, time.Second)
			continue
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				_, data, err := ws.ReadMessage()
				if err != nil {
					if ctx.Err() == nil {
						s.att.malformed.add("ended: " + outcome(err))
					}
					return
				}
				var f struct{ T, Code string }
				if json.Unmarshal(data, &f) == nil && (f.T == "nack" || f.T == "error") {
					s.att.malformed.add(f.T + " " + f.Code)
				}
			}
		}()
		t := time.NewTicker(framesEvery)
	send:
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				break send
			case <-done:
				break send
			case <-t.C:
			}
			ws.SetWriteDeadline(time.Now().Add(writeWait))
			if ws.WriteMessage(websocket.TextMessage, malformedFrames[i%len(malformedFrames)].frame()) != nil {
				break
			}
			s.att.malformed.add("sent")
		}
		t.Stop()
		ws.Close()
		<-done
	}
}

// slowReader joins, never reads for hold, then reads what is there to
// see whether the server dropped it, and comes back.
func (s *soak) slowReader(ctx context.Context, m *member, hold time.Duration) {
	for ctx.Err() == nil {
		ws, _, err := s.rejoin(ctx, m, slowRcvBuf)
		if err != nil {
			s.att.slow.add("join: " + outcome(err))
			sleep(ctx, time.Second)
			continue
		}
		sleep(ctx, hold)
		if ctx.Err() != nil {
			ws.Close()
			return
		}
		// Read what waits, for at most drainWait: a connection the server
		// dropped ends; one it kept goes on.
		deadline := time.Now().Add(drainWait)
		for ctx.Err() == nil {
			wait := time.Now().Add(time.Second)
			if wait.After(deadline) {
				wait = deadline
			}
			ws.SetReadDeadline(wait)
			var r io.Reader
			if _, r, err = ws.NextReader(); err != nil {
				break
			}
			n, _ := io.Copy(io.Discard, r)
			s.att.slowBytes.Add(n)
		}
		ws.Close()
		if ctx.Err() != nil {
			return
		}
		if outcome(err) == "timeout" {
			s.att.slow.add("still open")
		} else {
			s.att.slow.add("dropped")
		}
	}
}

// stormPhone is a participant of the reconnect storms: it reads every
// frame, and at each storm drops and resumes with since and epoch.
type stormPhone struct {
	member
	ws    *websocket.Conn
	epoch string
	lastV atomic.Int64
}

func (p *stormPhone) read(ws *websocket.Conn) {
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if v := field(data, kV, ','); len(v) > 0 && bytes.HasPrefix(data, pOp) {
			var n int64
			fmt.Sscan(string(v), &n)
			p.lastV.Store(n)
		}
	}
}

// storm has every storm phone drop and resume at once, every period.
func (s *soak) storm(ctx context.Context, phones []*stormPhone, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.att.storms.Add(1)
		for _, p := range phones {
			if p.ws != nil {
				p.ws.Close()
			}
		}
		var wg sync.WaitGroup
		for _, p := range phones {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.resumeStorm(ctx, p)
			}()
		}
		wg.Wait()
	}
}

func (s *soak) resumeStorm(ctx context.Context, p *stormPhone) {
	p.ws = nil
	ws, err := dialFrom(ctx, s.url, p.src, 0)
	if err != nil {
		s.att.storm.addUnless(ctx, outcome(err))
		return
	}
	frame, _ := json.Marshal(map[string]any{"t": "join", "code": s.w.code, "name": p.name, "role": "serviceUser",
		"token": p.token, "since": p.lastV.Load(), "epoch": p.epoch})
	start := time.Now()
	a, err := joinWith(ws, frame)
	switch {
	case err != nil:
		s.att.storm.addUnless(ctx, outcome(err))
		ws.Close()
		return
	case a.T != "welcome":
		s.att.storm.add(a.Code)
		ws.Close()
		return
	case a.resumed:
		s.att.storm.add("resumed with ops")
	default:
		s.att.storm.add("resumed with board")
	}
	s.att.rejoin.add(time.Since(start))
	p.ws, p.epoch = ws, a.Epoch
	p.lastV.Store(a.V)
	go p.read(ws)
}
