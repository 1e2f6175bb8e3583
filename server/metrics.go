package main

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/withboard/withboard/client"
	"github.com/withboard/withboard/hub"
)

// metrics is the hub's Observer, exported in Prometheus text format.
type metrics struct {
	reg       *prometheus.Registry
	ops       *prometheus.CounterVec
	fanOut    prometheus.Histogram
	store     *prometheus.HistogramVec
	storeErrs *prometheus.CounterVec
	slow      prometheus.Counter
	gaps      *prometheus.CounterVec
	joins     prometheus.Histogram
}

var _ hub.Observer = (*metrics)(nil)

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "withboard_ops_total", Help: "Ops answered, by result: accepted, or the refusal code.",
		}, []string{"result"}),
		fanOut: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "withboard_fanout_seconds", Help: "Time to send an op to every member of its room: in rooms of up to 32, including the writes each socket takes at once; in bigger rooms, queueing it.",
			Buckets: prometheus.ExponentialBuckets(0.00001, 4, 10),
		}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "withboard_store_seconds", Help: "Latency of store calls made by rooms.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 3, 10),
		}, []string{"call"}),
		storeErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "withboard_store_errors_total", Help: "Store calls that failed (conflicts and duplicates included).",
		}, []string{"call"}),
		slow: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "withboard_slow_consumer_disconnects_total", Help: "Connections dropped because they fell too far behind.",
		}),
		gaps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "withboard_gap_fills_total", Help: "Rooms that caught up from the log (log) or reloaded whole (reload).",
		}, []string{"how"}),
		joins: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "withboard_join_seconds", Help: "Time a room takes to answer a join: identify, record, encode and queue the welcome.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, 1},
		}),
	}
	m.reg.MustRegister(m.ops, m.fanOut, m.store, m.storeErrs, m.slow, m.gaps, m.joins,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watch adds gauges read at scrape time.
func (m *metrics) watch(h *hub.Hub, ws *client.Handler) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "withboard_connections", Help: "Open WebSocket connections."},
			func() float64 { return float64(ws.Connections()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "withboard_live_rooms", Help: "Rooms loaded on this instance."},
			func() float64 { return float64(h.LiveRooms()) }),
	)
	if _, _, ok := h.StoreMemory(context.Background()); ok {
		memory := func(limit bool) func() float64 {
			return func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				used, max, _ := h.StoreMemory(ctx)
				if limit {
					return float64(max)
				}
				return float64(used)
			}
		}
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "withboard_store_memory_bytes", Help: "Memory the store (Redis) uses."}, memory(false)),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "withboard_store_memory_limit_bytes", Help: "The store's memory limit (Redis maxmemory); 0 for none."}, memory(true)),
		)
	}
}

func (m *metrics) handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// OpDone implements hub.Observer.
func (m *metrics) OpDone(code string) {
	if code == "" {
		code = "accepted"
	}
	m.ops.WithLabelValues(code).Inc()
}

// FanOut implements hub.Observer.
func (m *metrics) FanOut(d time.Duration, _ int) { m.fanOut.Observe(d.Seconds()) }

// StoreCall implements hub.Observer.
func (m *metrics) StoreCall(name string, d time.Duration, err error) {
	m.store.WithLabelValues(name).Observe(d.Seconds())
	if err != nil {
		m.storeErrs.WithLabelValues(name).Inc()
	}
}

// SlowConsumer implements hub.Observer.
func (m *metrics) SlowConsumer() { m.slow.Inc() }

// GapFilled implements hub.Observer.
func (m *metrics) GapFilled(reloaded bool) {
	how := "log"
	if reloaded {
		how = "reload"
	}
	m.gaps.WithLabelValues(how).Inc()
}

// Joined implements hub.Observer.
func (m *metrics) Joined(d time.Duration) { m.joins.Observe(d.Seconds()) }
