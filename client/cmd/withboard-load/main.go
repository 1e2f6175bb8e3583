// Command withboard-load measures Withboard under a crowd of phones.
//
// It creates workshops on one or more server instances, connects
// participants to them over WebSockets (spread over loopback source
// addresses, as a real crowd comes from many networks), has every phone
// send a realistic mix of ops at a set rate, and measures at every
// receiving phone the time from send to delivery. It prints connections,
// ops sent and acknowledged, deliveries per second, latency percentiles,
// errors by code and, given the servers' pids, their memory and CPU.
//
// With -rates it steps through several rates and reports the most
// deliveries per second held within -slo. With -baseline it then measures
// a bare gorilla/websocket broadcast loop (run as a child process) the
// same way, for comparison. With -target centrifugo the same phones
// measure Centrifugo instead (centrifugo.go). With -hostile it runs the hostile soak of
// hostile.go instead: honest phones in one workshop under join floods,
// code guessing, bad frames, slow readers and reconnect storms.
//
//	withboard-load -url http://127.0.0.1:8080 -workshops 200 -phones 25 -every 5s -pid 1234
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "withboard-load:", err)
		os.Exit(1)
	}
}

// config is what a run is asked to do.
type config struct {
	target     string
	urls       []string
	pids       []int
	workshops  int
	phones     int
	every      time.Duration
	rates      []float64
	warmup     time.Duration
	duration   time.Duration
	slo        time.Duration
	timeline   time.Duration
	cards      int
	idle       bool
	fullList   bool // phones ask for whole presence lists, not deltas
	joinProbe  int
	perSource  int
	parallel   int
	mix        *mix
	baseline   bool
	serveBase  string
	cpuProfile string
	keep       bool
	hostile    bool
	attacks    map[string]bool
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	var urls, pids, rates, mixS, attacks string
	fs := flag.NewFlagSet("withboard-load", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.target, "target", targetWithboard, "the server to measure: withboard, or centrifugo (the same phones speak Centrifugo's JSON protocol, one channel per workshop; start it with centrifugo.sh)")
	fs.StringVar(&urls, "url", "", "comma-separated base URLs of the server instances; a workshop's phones are spread over them")
	fs.StringVar(&pids, "pid", "", "comma-separated pids of the server processes, to report their memory and CPU")
	fs.IntVar(&c.workshops, "workshops", 1, "workshops to open")
	fs.IntVar(&c.phones, "phones", 25, "phones (participants) per workshop")
	fs.DurationVar(&c.every, "every", 5*time.Second, "time between one phone's ops")
	fs.StringVar(&rates, "rates", "", "comma-separated total op rates (ops/s) to step through, instead of -every; the run stops at the first step that acknowledges under 90% of its rate or has errors, or after two steps in a row over -slo, and reports the most deliveries per second of a step whose p99 was within -slo")
	fs.DurationVar(&c.warmup, "warmup", 5*time.Second, "time at the first rate before measuring")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "measured time (per step with -rates)")
	fs.DurationVar(&c.slo, "slo", 100*time.Millisecond, "p99 delivery latency a step of -rates must hold")
	fs.DurationVar(&c.timeline, "timeline", 0, "after each measured window, list the 100 ms stretches (by send time) whose slowest delivery took longer than this, e.g. 50ms, to match with a server's logs")
	fs.IntVar(&c.cards, "cards", 20, "cards to put on each board before measuring")
	fs.BoolVar(&c.fullList, "presence-full", false, "phones read whole presence lists instead of asking for deltas, as the web phone does")
	fs.BoolVar(&c.idle, "idle", false, "connect and join, send no ops, and report memory per connection after -duration")
	fs.IntVar(&c.joinProbe, "join-probe", 0, "after the run, time this many joins, one after another, to the first workshop")
	fs.IntVar(&c.perSource, "per-source", 250, "connections per loopback source address (the server allows bursts of 300 joins per address)")
	fs.IntVar(&c.parallel, "parallel", 64, "connections opened at once")
	fs.StringVar(&mixS, "mix", "move=45,vote=35,add=12,edit=8", "op mix in percent")
	fs.BoolVar(&c.baseline, "baseline", false, "also measure a bare gorilla/websocket broadcast loop (a child process) with the same load")
	fs.BoolVar(&c.hostile, "hostile", false, "run the hostile soak against one workshop of the first -url: -phones honest phones, one op each every -every (1s unless given), under every attack at once, for -duration (10m unless given); fails if an acknowledged op did not reach every honest phone")
	fs.StringVar(&attacks, "attacks", "all", "with -hostile, the attacks to make: all, or some of "+strings.Join(attackNames, ","))
	fs.BoolVar(&c.keep, "keep", false, "keep the workshops afterwards (by default they are deleted)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write this program's CPU profile to the file, to see what the load generator itself costs")
	fs.StringVar(&c.serveBase, "serve-baseline", "", "only run the bare broadcast server on this address (used by -baseline)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.hostile {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if !given["duration"] {
			c.duration = 10 * time.Minute
		}
		if !given["every"] {
			c.every = time.Second
		}
	}
	for _, u := range strings.Split(urls, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			if !strings.HasPrefix(u, "http://") {
				return c, fmt.Errorf("url %q: want http://host:port", u)
			}
			c.urls = append(c.urls, u)
		}
	}
	for _, p := range strings.Split(pids, ",") {
		if p = strings.TrimSpace(p); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil {
				return c, fmt.Errorf("pid %q: %w", p, err)
			}
			c.pids = append(c.pids, n)
		}
	}
	for _, r := range strings.Split(rates, ",") {
		if r = strings.TrimSpace(r); r != "" {
			n, err := strconv.ParseFloat(r, 64)
			if err != nil || n <= 0 {
				return c, fmt.Errorf("rates %q: want positive numbers", rates)
			}
			c.rates = append(c.rates, n)
		}
	}
	var err error
	if c.attacks, err = parseAttacks(attacks); err != nil {
		return c, err
	}
	if c.mix, err = parseMix(mixS); err != nil {
		return c, err
	}
	if c.serveBase == "" && len(c.urls) == 0 && !c.baseline {
		return c, errors.New("give -url, -baseline or both")
	}
	switch {
	case c.target != targetWithboard && c.target != targetCentrifugo:
		return c, fmt.Errorf("target %q: want %s or %s", c.target, targetWithboard, targetCentrifugo)
	case c.target == targetCentrifugo && (c.hostile || c.baseline || c.joinProbe > 0 || len(c.urls) == 0):
		return c, errors.New("-target centrifugo needs -url, and measures neither -hostile, -baseline nor -join-probe")
	}
	if c.workshops < 1 || c.phones < 1 || c.perSource < 1 || c.parallel < 1 {
		return c, errors.New("-workshops, -phones, -per-source and -parallel must be at least 1")
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	if cfg.serveBase != "" {
		return serveBaseline(ctx, cfg.serveBase, stdout)
	}
	if cfg.hostile {
		if len(cfg.urls) == 0 {
			return errors.New("-hostile needs -url")
		}
		return runHostile(ctx, cfg, stdout)
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	limit := raiseFileLimit()
	if need := uint64(cfg.workshops*cfg.phones + 100); limit < need {
		fmt.Fprintf(stdout, "warning: open file limit %d is below the %d connections asked for\n", limit, need)
	}
	var results []result
	if len(cfg.urls) > 0 {
		fmt.Fprintf(stdout, "== %s at %s\n", cfg.target, strings.Join(cfg.urls, ", "))
		r, err := measure(ctx, cfg, stdout)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if cfg.baseline {
		url, pid, stop, err := startBaseline(ctx)
		if err != nil {
			return fmt.Errorf("start baseline: %w", err)
		}
		defer stop()
		b := cfg
		b.urls, b.pids = []string{url}, []int{pid}
		fmt.Fprintf(stdout, "== bare gorilla/websocket broadcast loop at %s\n", url)
		r, err := measure(ctx, b, stdout)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if len(results) == 2 && results[1].best > 0 {
		fmt.Fprintf(stdout, "== withboard held %.0f deliveries/s, the bare loop %.0f: %.0f%%\n",
			results[0].best, results[1].best, 100*results[0].best/results[1].best)
	}
	return nil
}

// startBaseline runs this program as the bare broadcast server on a free
// loopback port, and returns its URL, its pid and how to stop it.
func startBaseline(ctx context.Context) (string, int, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "-serve-baseline", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", 0, nil, fmt.Errorf("read its address: %w", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		stop()
		return "", 0, nil, fmt.Errorf("unexpected first line %q", line)
	}
	go io.Copy(io.Discard, out)
	return url, cmd.Process.Pid, stop, nil
}

// result is what a measurement found: the most deliveries per second held
// within the SLO (0 when no step held it).
type result struct{ best float64 }

// measure opens the workshops, runs the load and prints the figures.
func measure(ctx context.Context, cfg config, out io.Writer) (result, error) {
	setup := newStats()
	current.Store(setup)
	begin := time.Now()
	var ws []*workshop
	var err error
	if cfg.target == targetCentrifugo {
		ws = centrifugoRooms(cfg.workshops)
	} else if ws, err = createWorkshops(ctx, cfg); err != nil {
		return result{}, err
	}
	rssBefore := map[int]uint64{}
	for _, pid := range cfg.pids {
		rssBefore[pid], _, _ = procMem(pid)
	}
	interval := &atomic.Int64{}
	phones, err := connect(ctx, cfg, ws, interval)
	defer func() {
		closeAll(phones)
		if cfg.keep || cfg.target == targetCentrifugo {
			return
		}
		if n := deleteWorkshops(cfg, ws); n < len(ws) {
			fmt.Fprintf(out, "cleanup      deleted %d of %d workshops\n", n, len(ws))
		}
	}()
	if err != nil {
		return result{}, err
	}
	fmt.Fprintf(out, "setup        %d workshops, %d phones joined in %s; join (send to welcome) %s; errors %s\n",
		len(ws), len(phones), time.Since(begin).Round(time.Millisecond), setup.join.summary(), setup.errorList())

	if cfg.idle {
		usage := watch(cfg.pids)
		idleUntil := time.Now().Add(cfg.duration)
		for time.Now().Before(idleUntil) && ctx.Err() == nil {
			sleep(ctx, min(30*time.Second, time.Until(idleUntil)))
			var rss []string
			for _, pid := range cfg.pids {
				r, _, _ := procMem(pid)
				rss = append(rss, fmt.Sprintf("%.1f MiB", float64(r)/(1<<20)))
			}
			fmt.Fprintf(out, "  %4.0fs idle: server rss %s\n", cfg.duration.Seconds()-time.Until(idleUntil).Seconds(), strings.Join(rss, ", "))
		}
		after := finish(usage, cfg.duration)
		fmt.Fprintf(out, "idle         %d connections held for %s; errors %s\n", len(phones), cfg.duration, setup.errorList())
		for _, u := range after {
			fmt.Fprintln(out, u.line(len(phones)))
			if u.label == "server" && u.ok {
				per := len(phones) / len(cfg.pids)
				before := rssBefore[u.pid]
				fmt.Fprintf(out, "             %d connections: %.1f KiB per connection (%.1f KiB each over the %.1f MiB before they joined)\n",
					per, float64(u.rss)/1024/float64(per), (float64(u.rss)-float64(before))/1024/float64(per), float64(before)/(1<<20))
			}
		}
		return result{}, nil
	}

	// Seed the boards: the first phones of each workshop add cards in bursts.
	if err := seedBoards(ctx, cfg, phones); err != nil {
		return result{}, err
	}
	loops, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, p := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.run(loops)
		}()
	}
	steps := cfg.rates
	if len(steps) == 0 {
		steps = []float64{float64(len(phones)) / cfg.every.Seconds()}
	}
	setRate := func(rate float64) {
		interval.Store(int64(float64(time.Second) * float64(len(phones)) / rate))
	}
	setRate(steps[0])
	current.Store(newStats())
	sleep(ctx, cfg.warmup)

	res := result{}
	ramp := len(cfg.rates) > 0
	missed := 0 // steps in a row over the SLO
	if ramp {
		fmt.Fprintf(out, "%10s %10s %12s %9s %9s %9s %9s  %s\n", "rate", "acked/s", "deliveries/s", "p50", "p90", "p99", "max", "errors; cpu")
	}
	for _, rate := range steps {
		setRate(rate)
		if ramp {
			sleep(ctx, 2*time.Second) // let queues settle at the new rate
		}
		s := newStats()
		if cfg.timeline > 0 {
			s.tl = newTimeline(s.start, cfg.duration+time.Second)
		}
		usage := watch(cfg.pids)
		metricsBefore := scrape(cfg.urls)
		current.Store(s)
		sleep(ctx, cfg.duration)
		elapsed := time.Since(s.start)
		current.Store(newStats())
		used := finish(usage, elapsed)
		server := serverReport(metricsBefore, scrape(cfg.urls))
		perSec := float64(s.deliveries.Load()) / elapsed.Seconds()
		p99 := s.latency.quantile(0.99)
		held := p99 <= cfg.slo && s.errorCount() == 0
		if held && perSec > res.best {
			res.best = perSec
		}
		if held {
			missed = 0
		} else {
			missed++
		}
		if !ramp {
			s.report(out, elapsed, len(phones), used)
			if server != "" {
				fmt.Fprintf(out, "server says  %s\n", server)
			}
			if s.tl != nil {
				s.tl.report(out, cfg.timeline, 20)
			}
			break
		}
		var cpu []string
		for _, u := range used {
			cpu = append(cpu, fmt.Sprintf("%s %.0f%%", u.label, 100*u.cpu.Seconds()/elapsed.Seconds()))
		}
		fmt.Fprintf(out, "%10.0f %10.0f %12.0f %9s %9s %9s %9s  %s; %s\n", rate, float64(s.acked.Load())/elapsed.Seconds(), perSec,
			ms(s.latency.quantile(0.5)), ms(s.latency.quantile(0.9)), ms(p99), ms(s.latency.maxDur()), s.errorList(), strings.Join(cpu, ", "))
		if server != "" {
			fmt.Fprintf(out, "%10s %s\n", "", server)
		}
		if s.tl != nil {
			fmt.Fprintf(out, "%10s ", "")
			s.tl.report(out, cfg.timeline, 10)
		}
		if float64(s.acked.Load()) < 0.9*rate*elapsed.Seconds() || s.errorCount() > 0 || ctx.Err() != nil {
			break // saturated: the server no longer keeps up with the rate
		}
		if missed == 2 {
			break // past what it holds: higher rates only take longer to say so
		}
	}
	cancel()
	wg.Wait()
	drain := current.Load()
	deadline := time.Now().Add(5 * time.Second)
	for pendingOps(phones) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := pendingOps(phones); n > 0 {
		drain.fail("unanswered")
		fmt.Fprintf(out, "unanswered   %d ops had no ack or nack 5s after the last was sent\n", n)
	}
	if n := drain.errorCount(); n > 0 {
		fmt.Fprintf(out, "after        errors %s\n", drain.errorList())
	}
	if ramp {
		fmt.Fprintf(out, "held         %.0f deliveries/s with p99 within %s and no errors\n", res.best, cfg.slo)
	}
	if cfg.joinProbe > 0 {
		probeJoins(ctx, cfg, ws[0], out)
	}
	return res, nil
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func pendingOps(phones []*phone) int64 {
	var n int64
	for _, p := range phones {
		n += p.pending.Load()
	}
	return n
}

func closeAll(phones []*phone) {
	for _, p := range phones {
		p.closing.Store(true)
		p.ws.Close()
	}
}

// createWorkshops creates cfg.workshops workshops, spreading the requests
// over source addresses: the server allows 20 creations per address.
func createWorkshops(ctx context.Context, cfg config) ([]*workshop, error) {
	const perAddr = 15
	ws := make([]*workshop, cfg.workshops)
	errs := make(chan error, cfg.workshops)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range ws {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			w, err := createWorkshop(ctx, cfg.urls[i%len(cfg.urls)], sourceAddr(i, perAddr), i)
			if err != nil {
				errs <- err
				return
			}
			ws[i] = w
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return ws, nil
}

func createWorkshop(ctx context.Context, base string, src *net.TCPAddr, i int) (*workshop, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src.IP}, Timeout: dialWait}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	body := fmt.Sprintf(`{"title":"Load test workshop %d"}`, i)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/workshops", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("create workshop: %w", err)
	}
	defer resp.Body.Close()
	var w struct{ ID, Code, FacilitatorKey string }
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("create workshop: %s: %s", resp.Status, msg)
	}
	if err := decodeJSON(resp.Body, &w); err != nil {
		return nil, fmt.Errorf("create workshop: %w", err)
	}
	return &workshop{id: w.ID, code: w.Code, key: w.FacilitatorKey}, nil
}

// deleteWorkshops deletes the run's workshops, with their facilitator
// keys, and returns how many it deleted.
func deleteWorkshops(cfg config, ws []*workshop) int {
	c := &http.Client{Timeout: 10 * time.Second}
	var deleted atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, w := range ws {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			req, err := http.NewRequest(http.MethodDelete, cfg.urls[0]+"/api/workshops/"+w.id, nil)
			if err != nil {
				return
			}
			req.Header.Set("Authorization", "Bearer "+w.key)
			resp, err := c.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				deleted.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(deleted.Load())
}

// connect joins every phone, cfg.parallel at a time. Phone j of a
// workshop goes to instance j mod len(urls), so every workshop spans
// every instance.
func connect(ctx context.Context, cfg config, ws []*workshop, interval *atomic.Int64) ([]*phone, error) {
	var phones []*phone
	for _, w := range ws {
		for j := range cfg.phones {
			g := len(phones)
			p := &phone{w: w, idx: j, url: cfg.urls[j%len(cfg.urls)],
				src: sourceAddr(g, cfg.perSource), mix: cfg.mix, interval: interval, fullList: cfg.fullList}
			if cfg.target == targetCentrifugo {
				p.cf = &cfPhone{channel: "room:" + w.id}
			}
			phones = append(phones, p)
		}
	}
	// Join in a shuffled order, as phones arrive at many workshops at once.
	order := mrand.Perm(len(phones))
	sem := make(chan struct{}, cfg.parallel)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, i := range order {
		if ctx.Err() != nil {
			break
		}
		p := phones[i]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for attempt := 0; ; attempt++ {
				took, err := p.join(ctx)
				if err == nil {
					rec().join.add(took)
					go p.read()
					return
				}
				if attempt < 3 && ctx.Err() == nil {
					rec().fail("joinRetry")
					time.Sleep(time.Duration(attempt+1) * time.Second)
					continue
				}
				rec().fail("join")
				failed.Add(1)
				if failed.Load() == 1 {
					fmt.Fprintln(os.Stderr, "withboard-load: join:", err)
				}
				return
			}
		}()
	}
	wg.Wait()
	joined := phones[:0:0]
	for _, p := range phones {
		if p.ws != nil && p.me != "" {
			joined = append(joined, p)
		}
	}
	if n := failed.Load(); n > 0 {
		return joined, fmt.Errorf("%d of %d phones could not join", n, len(phones))
	}
	return joined, ctx.Err()
}

// seedBoards has the first phones of each workshop add cfg.cards cards,
// and waits until they are all acknowledged.
func seedBoards(ctx context.Context, cfg config, phones []*phone) error {
	if cfg.cards <= 0 {
		return nil
	}
	var wg sync.WaitGroup
	for _, p := range phones {
		n := cfg.cards - p.idx*seedBurst
		if n <= 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.seed(min(n, seedBurst))
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(60 * time.Second)
	for pendingOps(phones) > 0 {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("seeding: %d cards not acknowledged within a minute", pendingOps(phones))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Wait for every phone to have seen every card.
	for _, p := range phones {
		for p.seen.Load() < int64(cfg.cards) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// probeJoins times n joins to w, one at a time, on an otherwise quiet
// server: each is a new participant receiving the whole board.
func probeJoins(ctx context.Context, cfg config, w *workshop, out io.Writer) {
	s := newStats()
	current.Store(s)
	before := scrape(cfg.urls[:1])
	for i := range cfg.joinProbe {
		p := &phone{w: w, idx: -1, url: cfg.urls[0], src: sourceAddr(cfg.workshops*cfg.phones+cfg.perSource+i, cfg.perSource)}
		took, err := p.join(ctx)
		if err != nil {
			s.fail("join")
			continue
		}
		s.join.add(took)
		p.ws.Close()
		sleep(ctx, 20*time.Millisecond)
	}
	fmt.Fprintf(out, "join probe   %d joins to a board of %d cards: %s; errors %s\n", cfg.joinProbe, len(w.cards), s.join.summary(), s.errorList())
	if server := serverReport(before, scrape(cfg.urls[:1])); server != "" {
		fmt.Fprintf(out, "server says  %s\n", server)
	}
}
