package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// timelineTick is the width of one timeline window.
const timelineTick = 100 * time.Millisecond

// timeline keeps, for each 100 ms of a measured window, the slowest
// delivery of the ops sent in it. A p99 says how often latency was bad;
// the timeline says when, so that a jump can be matched with what a
// server was doing then (a checkpoint, a garbage collection, a join).
type timeline struct {
	start time.Time
	worst []atomic.Uint64 // µs, by window of send time
}

func newTimeline(start time.Time, span time.Duration) *timeline {
	return &timeline{start: start, worst: make([]atomic.Uint64, span/timelineTick+1)}
}

func (t *timeline) add(sent time.Time, d time.Duration) {
	i := int(sent.Sub(t.start) / timelineTick)
	if sent.Before(t.start) || i >= len(t.worst) {
		return // sent before the window began, or after it ended
	}
	us := uint64(max(d, 0) / time.Microsecond)
	for {
		w := t.worst[i].Load()
		if us <= w || t.worst[i].CompareAndSwap(w, us) {
			return
		}
	}
}

// slowMoment is a window whose slowest delivery took longer than asked.
type slowMoment struct {
	at    time.Time
	worst time.Duration
}

// over returns the windows whose slowest delivery took longer than d, in
// time order.
func (t *timeline) over(d time.Duration) []slowMoment {
	var out []slowMoment
	for i := range t.worst {
		if w := time.Duration(t.worst[i].Load()) * time.Microsecond; w > d {
			out = append(out, slowMoment{t.start.Add(time.Duration(i) * timelineTick), w})
		}
	}
	return out
}

// report prints the windows over d, at most limit of them (the slowest),
// in time order, with the wall-clock time each began.
func (t *timeline) report(w io.Writer, d time.Duration, limit int) {
	slow := t.over(d)
	if len(slow) == 0 {
		fmt.Fprintf(w, "slow moments none over %s\n", ms(d))
		return
	}
	shown := slow
	if len(shown) > limit {
		shown = append([]slowMoment(nil), slow...)
		sort.Slice(shown, func(i, j int) bool { return shown[i].worst > shown[j].worst })
		shown = shown[:limit]
		sort.Slice(shown, func(i, j int) bool { return shown[i].at.Before(shown[j].at) })
	}
	parts := make([]string, len(shown))
	for i, m := range shown {
		parts[i] = fmt.Sprintf("%s %s", m.at.Format("15:04:05.0"), ms(m.worst))
	}
	more := ""
	if n := len(slow) - len(shown); n > 0 {
		more = fmt.Sprintf(" (and %d more)", n)
	}
	fmt.Fprintf(w, "slow moments %d of %s over %s, by send time: %s%s\n",
		len(slow), timelineTick, ms(d), strings.Join(parts, ", "), more)
}
