package main

import (
	"strings"
	"testing"
	"time"
)

func TestTimelineKeepsTheSlowestDeliveryOfEachWindow(t *testing.T) {
	start := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	tl := newTimeline(start, time.Second)
	ms := time.Millisecond
	tl.add(start.Add(10*ms), 5*ms)
	tl.add(start.Add(20*ms), 80*ms) // the slowest of window 0
	tl.add(start.Add(30*ms), 7*ms)
	tl.add(start.Add(450*ms), 60*ms) // window 4
	tl.add(start.Add(-ms), 900*ms)   // sent before the window began
	tl.add(start.Add(time.Hour), ms) // after it ended

	got := tl.over(50 * ms)
	want := []slowMoment{{start, 80 * ms}, {start.Add(400 * ms), 60 * ms}}
	if len(got) != len(want) {
		t.Fatalf("over(50ms) = %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].at.Equal(want[i].at) || got[i].worst != want[i].worst {
			t.Errorf("over(50ms)[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if got := tl.over(60 * ms); len(got) != 1 || got[0].worst != 80*ms {
		t.Errorf("over(60ms) = %v, want only the window of 80 ms", got)
	}

	var b strings.Builder
	tl.report(&b, 50*ms, 1)
	if out := b.String(); !strings.Contains(out, "slow moments 2 of 100ms over 50.00ms") ||
		!strings.Contains(out, "09:00:00.0 80.00ms (and 1 more)") {
		t.Errorf("report with a limit of 1 printed %q", out)
	}
	b.Reset()
	tl.report(&b, time.Second, 10)
	if out := b.String(); out != "slow moments none over 1000.00ms\n" {
		t.Errorf("report with nothing over printed %q", out)
	}
}
