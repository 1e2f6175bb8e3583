package main

import (
	"fmt"
	"io"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// histBuckets covers 0 µs to well past a minute with 64 buckets per
// power of two, so a percentile is off by less than 2%.
const histBuckets = 2048

// hist is a latency histogram in microseconds, safe for concurrent use.
type hist struct {
	n      atomic.Uint64
	max    atomic.Uint64
	counts [histBuckets]atomic.Uint64
}

func bucketOf(us uint64) int {
	if us < 128 {
		return int(us)
	}
	e := bits.Len64(us) - 7
	return min(e*64+int(us>>e), histBuckets-1)
}

// bucketFloor is the smallest value that falls in bucket i.
func bucketFloor(i int) uint64 {
	if i < 128 {
		return uint64(i)
	}
	e := i/64 - 1
	return uint64(i%64+64) << e
}

func (h *hist) add(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.counts[bucketOf(us)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// quantile returns the value below which a fraction q of the samples fall.
func (h *hist) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q * float64(n))
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen > rank {
			return min(time.Duration(bucketFloor(i+1))*time.Microsecond, h.maxDur())
		}
	}
	return h.maxDur()
}

func (h *hist) maxDur() time.Duration { return time.Duration(h.max.Load()) * time.Microsecond }

func (h *hist) summary() string {
	if h.n.Load() == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (n=%d)",
		ms(h.quantile(0.50)), ms(h.quantile(0.90)), ms(h.quantile(0.99)), ms(h.maxDur()), h.n.Load())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// stats is what one measured window saw, at every simulated phone.
type stats struct {
	start time.Time

	sent, acked, deliveries, bytesIn atomic.Uint64
	latency, ackLatency, join        hist
	tl                               *timeline // when -timeline asks for one

	mu     sync.Mutex        // guards errors
	errors map[string]uint64 // by contract code, or by what went wrong
}

func newStats() *stats { return &stats{start: time.Now(), errors: map[string]uint64{}} }

func (s *stats) fail(code string) {
	s.mu.Lock()
	s.errors[code]++
	s.mu.Unlock()
}

func (s *stats) errorList() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errors) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(s.errors))
	for k := range s.errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%d", k, s.errors[k])
	}
	return b.String()
}

func (s *stats) errorCount() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	for _, v := range s.errors {
		n += v
	}
	return n
}

// current is the window phones record into; swapped between stages.
var current atomic.Pointer[stats]

func rec() *stats { return current.Load() }

// report prints a window's figures.
func (s *stats) report(w io.Writer, elapsed time.Duration, conns int, usage []procUsage) {
	secs := elapsed.Seconds()
	fmt.Fprintf(w, "connections  %d\n", conns)
	fmt.Fprintf(w, "ops          sent %d  acked %d  (%.0f/s)\n", s.sent.Load(), s.acked.Load(), float64(s.acked.Load())/secs)
	fmt.Fprintf(w, "deliveries   %d  (%.0f/s, %.1f MB/s in)\n", s.deliveries.Load(), float64(s.deliveries.Load())/secs,
		float64(s.bytesIn.Load())/secs/1e6)
	fmt.Fprintf(w, "latency      %s\n", s.latency.summary())
	fmt.Fprintf(w, "ack latency  %s\n", s.ackLatency.summary())
	fmt.Fprintf(w, "errors       %s\n", s.errorList())
	for _, u := range usage {
		fmt.Fprintf(w, "%s\n", u.line(conns))
	}
}
