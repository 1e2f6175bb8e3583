package main

// The hostile soak (-hostile): one workshop, honest phones that keep
// working, and at the same time every attack that someone who has the
// join code can make without a facilitator key. It reports what the
// server's memory did, what the honest phones went through, how each
// attack was answered, and whether any acknowledged op failed to reach an
// honest phone (it must not).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// attackNames are the attacks of -attacks.
var attackNames = []string{"flood", "guess", "oversized", "malformed", "slow", "storm"}

// parseAttacks reads -attacks: "all", or some of attackNames.
func parseAttacks(list string) (map[string]bool, error) {
	on := map[string]bool{}
	for _, a := range strings.Split(list, ",") {
		switch a = strings.TrimSpace(a); {
		case a == "all":
			for _, n := range attackNames {
				on[n] = true
			}
		case slices.Contains(attackNames, a):
			on[a] = true
		case a != "":
			return nil, fmt.Errorf("attacks: unknown %q, want all or some of %s", a, strings.Join(attackNames, ","))
		}
	}
	return on, nil
}

// soak is one hostile run.
type soak struct {
	// set at construction
	cfg   config
	url   string // the instance attacked
	w     *workshop
	start time.Time
	out   io.Writer
	hold  time.Duration // how long a slow reader leaves its socket unread

	fig    *honestFigures
	att    *attacks
	honest []*honestPhone
	logs   []*versionLog
	storms []*stormPhone
	mem    memWatch
}

// runHostile runs the soak against cfg.urls and reports it; an op lost to
// an honest phone makes it fail.
func runHostile(ctx context.Context, cfg config, out io.Writer) error {
	raiseFileLimit()
	s := &soak{cfg: cfg, url: cfg.urls[0], out: out, fig: newHonestFigures(), att: newAttacks()}
	if len(cfg.pids) > 0 {
		s.mem.pid = cfg.pids[0]
	}
	s.mem.url = s.url
	s.mem.sample() // before the workshop exists
	w, err := createWorkshop(ctx, s.url, sourceAddr(0, 15), 0)
	if err != nil {
		return err
	}
	s.w = w
	if !cfg.keep {
		defer deleteWorkshops(cfg, []*workshop{w})
	}
	var names []string
	for _, n := range attackNames {
		if cfg.attacks[n] {
			names = append(names, n)
		}
	}
	fmt.Fprintf(out, "== hostile soak at %s: workshop %s for %s; attacks %s\n", strings.Join(cfg.urls, ", "), w.code, cfg.duration, strings.Join(names, ","))
	members, err := s.setup(ctx)
	defer s.closeAll()
	if err != nil {
		return err
	}
	s.mem.setup = s.mem.sample().rss
	s.start = time.Now()
	attackCtx, stopAttacks := context.WithCancel(ctx)
	opsCtx, stopOps := context.WithCancel(ctx)
	var attackers, senders sync.WaitGroup
	for _, h := range s.honest {
		senders.Go(func() { h.run(opsCtx, cfg.every) })
	}
	s.hold = min(max(cfg.duration/4, time.Second), time.Minute)
	stormEvery := min(max(cfg.duration/20, 2*time.Second), 15*time.Second)
	on := func(name string) bool { return cfg.attacks[name] }
	if on("flood") {
		attackers.Go(func() { s.joinFlood(attackCtx) })
	}
	if on("guess") {
		attackers.Go(func() { s.guessHTTP(attackCtx) })
		attackers.Go(func() { s.guessWS(attackCtx) })
	}
	if on("oversized") {
		attackers.Go(func() { s.oversized(attackCtx, members[0]) })
	}
	if on("malformed") {
		attackers.Go(func() { s.malformedLoop(attackCtx, members[1]) })
		attackers.Go(func() { s.malformedLoop(attackCtx, members[2]) })
	}
	for _, m := range members[3:] {
		if on("slow") {
			attackers.Go(func() { s.slowReader(attackCtx, m, s.hold) })
		}
	}
	if on("storm") {
		attackers.Go(func() { s.storm(attackCtx, s.storms, stormEvery) })
	}

	s.watch(ctx, cfg.duration)
	stopAttacks()
	attackers.Wait()
	s.att.closeHeld()
	stopOps()
	senders.Wait()
	s.drain(10 * time.Second)
	return s.report()
}

// setup joins the honest phones, the storm phones and the attackers that
// need to be participants, before the flood fills the workshop.
func (s *soak) setup(ctx context.Context) ([]*member, error) {
	begin := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, s.cfg.phones+stormPhones+3+slowReaders)
	for i := range s.cfg.phones {
		h := &honestPhone{idx: i, url: s.cfg.urls[i%len(s.cfg.urls)], code: s.w.code, src: sourceAddr(i, s.cfg.perSource),
			delta: i%2 == 0, fig: s.fig}
		s.honest = append(s.honest, h)
		s.logs = append(s.logs, nil)
		wg.Go(func() {
			f, err := h.join(ctx)
			if err != nil {
				errs <- fmt.Errorf("honest phone %d: %w", i, err)
				return
			}
			h.log = newVersionLog(f.V)
			s.logs[i] = h.log
			go h.read(ctx)
		})
	}
	for i := range stormPhones {
		p := &stormPhone{member: member{src: attackAddr(groupStorm, i/stormPerSource), name: fmt.Sprintf("Storm %d", i)}}
		s.storms = append(s.storms, p)
		wg.Go(func() {
			ws, a, err := s.rejoin(ctx, &p.member, 0)
			if err != nil {
				errs <- fmt.Errorf("storm phone %d: %w", i, err)
				return
			}
			p.ws, p.epoch = ws, a.Epoch
			p.lastV.Store(a.V)
			go p.read(ws)
		})
	}
	members := make([]*member, 3+slowReaders)
	for i := range members {
		m := &member{src: attackAddr(groupFrames, i), name: fmt.Sprintf("Attacker %d", i)}
		if i >= 3 {
			m.src = attackAddr(groupSlow, i)
		}
		members[i] = m
		wg.Go(func() {
			ws, _, err := s.rejoin(ctx, m, 0)
			if err != nil {
				errs <- fmt.Errorf("attacker %d: %w", i, err)
				return
			}
			ws.Close() // it has its token; each attack connects again
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	fmt.Fprintf(s.out, "setup        %d honest phones, %d storm phones and %d attackers joined in %s\n",
		len(s.honest), len(s.storms), len(members), time.Since(begin).Round(time.Millisecond))
	return members, ctx.Err()
}

// watch samples the server every second for d, printing a line ten times.
func (s *soak) watch(ctx context.Context, d time.Duration) {
	end := s.start.Add(d)
	printEvery := max(d/10, time.Second)
	next := s.start.Add(printEvery)
	for ctx.Err() == nil && time.Now().Before(end) {
		sleep(ctx, min(time.Second, time.Until(end)))
		g := s.mem.sample()
		if time.Now().After(next) || !time.Now().Before(end) {
			next = next.Add(printEvery)
			fmt.Fprintf(s.out, "  %5.0fs     server rss %s, %s connections, %s goroutines; honest acked %d, p99 so far %s\n",
				time.Since(s.start).Seconds(), mib(g.rss), num(g.metrics["withboard_connections"]), num(g.metrics["go_goroutines"]),
				s.fig.acked.Load(), ms(s.fig.latency.quantile(0.99)))
		}
	}
}

// drain waits until every honest op is answered and every honest phone
// has every version acknowledged, or for at most d.
func (s *soak) drain(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		done := true
		for _, h := range s.honest {
			if h.pending.Load() > 0 || h.log.last() < s.fig.peakV.Load() {
				done = false
			}
		}
		if done {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *soak) closeAll() {
	for _, h := range s.honest {
		h.close()
	}
	for _, p := range s.storms {
		if p.ws != nil {
			p.ws.Close()
		}
	}
}

// report prints the figures and fails when an honest phone lost an op.
func (s *soak) report() error {
	out, f, a := s.out, s.fig, s.att
	elapsed := time.Since(s.start)
	end := s.mem.sample()
	var unanswered int64
	for _, h := range s.honest {
		unanswered += h.pending.Load()
	}
	f.mu.Lock()
	acks := make(map[string]int64, len(f.acks))
	for id, v := range f.acks {
		acks[id] = v
	}
	f.mu.Unlock()
	lost := findLost(acks, s.logs)
	missing := gaps(s.logs, f.peakV.Load())

	fmt.Fprintf(out, "server rss   start %s, after setup %s, peak %s, end %s (%s)\n",
		mib(s.mem.first.rss), mib(s.mem.setup), mib(s.mem.peak), mib(end.rss), s.mem.source())
	fmt.Fprintf(out, "server       connections peak %s, end %s; goroutines peak %s, end %s; slow-consumer drops %s\n",
		num(s.mem.peakConns), num(end.metrics["withboard_connections"]), num(s.mem.peakGoroutines), num(end.metrics["go_goroutines"]),
		num(end.metrics["withboard_slow_consumer_disconnects_total"]-s.mem.first.metrics["withboard_slow_consumer_disconnects_total"]))
	fmt.Fprintf(out, "honest       %d phones, one op each every %s: sent %d, acked %d, refused: %s; unanswered %d\n",
		len(s.honest), s.cfg.every, f.sent.Load(), f.acked.Load(), f.refused.String(), unanswered)
	fmt.Fprintf(out, "latency      %s\n", f.latency.summary())
	fmt.Fprintf(out, "honest ends  %s; resumed: %s; ops replayed in welcome %d\n", f.closes.String(), f.resumes.String(), f.replayed.Load())
	fmt.Fprintf(out, "presence     largest frame an honest phone received: full %s, delta %s\n", kib(f.maxFull.Load()), kib(f.maxDelta.Load()))
	fmt.Fprintf(out, "join flood   %d joins (%d/s): %s\n", a.flood.total(), floodRate, a.flood.String())
	fmt.Fprintf(out, "guess http   %d lookups (%d/s, one address): %s; first 429 %s\n", a.guessHTTP.total(), guessHTTPRate, a.guessHTTP.String(),
		first429(a.httpFirst429.Load(), a.httpFirst429At.Load()))
	fmt.Fprintf(out, "guess ws     %d joins (%d/s, one address): %s; first 429 %s\n", a.guessWS.total(), guessWSRate, a.guessWS.String(),
		first429(a.wsFirst429.Load(), a.wsFirst429At.Load()))
	fmt.Fprintf(out, "oversized    %s\n", a.oversized.String())
	fmt.Fprintf(out, "malformed    %s\n", a.malformed.String())
	fmt.Fprintf(out, "slow readers %d, each leaving its socket unread for %s, then reading: %s; %s waiting in all\n",
		slowReaders, s.hold, a.slow.String(), mib(uint64(a.slowBytes.Load())))
	fmt.Fprintf(out, "storms       %d storms of %d phones: %s; resume %s\n", a.storms.Load(), stormPhones, a.storm.String(), a.rejoin.summary())
	fmt.Fprintf(out, "attack ops   %d reached an honest phone as ops (must be 0)\n", f.attackApplied.Load())
	fmt.Fprintf(out, "lost ops     %d acknowledged ops missing at an honest phone, %d versions missing (must be 0); soak %s\n",
		len(lost), missing, elapsed.Round(time.Second))
	for i, l := range lost {
		if i == 10 {
			fmt.Fprintf(out, "             ... and %d more\n", len(lost)-10)
			break
		}
		fmt.Fprintf(out, "             phone %d: v%d should be %s, had %q\n", l.phone, l.v, l.id, l.got)
	}
	var errs []error
	if len(lost) > 0 || missing > 0 {
		errs = append(errs, fmt.Errorf("%d acknowledged ops and %d versions did not reach every honest phone", len(lost), missing))
	}
	if n := f.attackApplied.Load(); n > 0 {
		errs = append(errs, fmt.Errorf("%d attack ops changed the board", n))
	}
	return errors.Join(errs...)
}

func first429(tries, at int64) string {
	if tries < 0 {
		return "never"
	}
	return fmt.Sprintf("after %d tries, %.1fs in", tries, time.Duration(at).Seconds())
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
func kib(b int64) string  { return fmt.Sprintf("%.1f KiB", float64(b)/1024) }
func num(f float64) string {
	return strconv.FormatFloat(f, 'f', 0, 64)
}

// memWatch follows the server's resident memory, from /proc when its pid
// is known, else from its /metrics, and a few of its gauges.
type memWatch struct {
	pid int
	url string

	first, last               gauges
	setup, peak               uint64
	peakConns, peakGoroutines float64
	samples                   int
}

// gauges is one sample.
type gauges struct {
	rss     uint64
	metrics map[string]float64
}

func (m *memWatch) source() string {
	if m.pid > 0 {
		return fmt.Sprintf("VmRSS of pid %d", m.pid)
	}
	return "process_resident_memory_bytes"
}

func (m *memWatch) sample() gauges {
	g := gauges{metrics: scrapeGauges(m.url)}
	if m.pid > 0 {
		var hwm uint64
		g.rss, hwm, _ = procMem(m.pid)
		m.peak = max(m.peak, hwm)
	} else {
		g.rss = uint64(g.metrics["process_resident_memory_bytes"])
	}
	if m.samples == 0 {
		m.first = g
	}
	m.samples++
	m.last = g
	m.peak = max(m.peak, g.rss)
	m.peakConns = max(m.peakConns, g.metrics["withboard_connections"])
	m.peakGoroutines = max(m.peakGoroutines, g.metrics["go_goroutines"])
	return g
}

// scrapeGauges reads the unlabelled series of an instance's /metrics.
func scrapeGauges(url string) map[string]float64 {
	out := map[string]float64{}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			out[name] = f
		}
	}
	return out
}
