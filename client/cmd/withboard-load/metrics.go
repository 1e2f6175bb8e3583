package main

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The server's own view of a window, from the histograms it exports at
// /metrics: how long its store calls, fan-outs and joins took, which the
// phones' latencies include. Read before and after; the difference is the
// window's.

// serverHists names the histograms read, as "name{labels}" prefixes.
var serverHists = []struct{ label, series string }{
	{"store append", `withboard_store_seconds_bucket{call="append",`},
	{"fan-out", `withboard_fanout_seconds_bucket{`},
	{"join", `withboard_join_seconds_bucket{`},
}

// buckets is a cumulative histogram: upper bound in seconds -> count.
type buckets map[float64]float64

// scrape reads the histograms from every instance, summed.
func scrape(urls []string) []buckets {
	out := make([]buckets, len(serverHists))
	for i := range out {
		out[i] = buckets{}
	}
	c := &http.Client{Timeout: 5 * time.Second}
	for _, u := range urls {
		resp, err := c.Get(u + "/metrics")
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			for i, h := range serverHists {
				if !strings.HasPrefix(line, h.series) {
					continue
				}
				_, rest, ok := strings.Cut(line[len(h.series):], `le="`)
				bound, count, ok2 := strings.Cut(rest, `"} `)
				if !ok || !ok2 {
					continue
				}
				b, err1 := strconv.ParseFloat(bound, 64)
				n, err2 := strconv.ParseFloat(strings.TrimSpace(count), 64)
				if err1 == nil && err2 == nil {
					out[i][b] += n
				}
			}
		}
		resp.Body.Close()
	}
	return out
}

// serverReport describes the window between two scrapes, or "" when the
// servers export none of it (the bare loop).
func serverReport(before, after []buckets) string {
	var parts []string
	for i, h := range serverHists {
		d := buckets{}
		for b, n := range after[i] {
			d[b] = n - before[i][b]
		}
		total := d[math.Inf(1)]
		if total <= 0 {
			continue
		}
		bounds := make([]float64, 0, len(d))
		for b := range d {
			bounds = append(bounds, b)
		}
		sort.Float64s(bounds)
		at := func(q float64) string {
			for _, b := range bounds {
				if d[b] >= q*total {
					if math.IsInf(b, 1) {
						return "more"
					}
					return "≤" + ms(time.Duration(b*float64(time.Second)))
				}
			}
			return "?"
		}
		parts = append(parts, fmt.Sprintf("%s p50 %s p99 %s (n=%.0f)", h.label, at(0.5), at(0.99), total))
	}
	return strings.Join(parts, "; ")
}
