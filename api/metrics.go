package api

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/winnow-forensics/winnow/triage"
)

type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	uploadBytes prometheus.Counter
}

func newMetrics(reg *prometheus.Registry, states StateCounter, queue QueueDepther, sets triage.SetStore) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "winnow_http_request_duration_seconds", Help: "HTTP request duration by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"route", "method"}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "winnow_upload_bytes_total", Help: "Evidence bytes received.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.uploadBytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if states != nil || queue != nil {
		reg.MustRegister(&gauges{states: states, queue: queue, sets: sets})
	}
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// gauges reads items per state and the queue depth at scrape time.
type gauges struct {
	states StateCounter
	queue  QueueDepther
	sets   triage.SetStore
}

var (
	itemsDesc   = prometheus.NewDesc("winnow_items", "Items per state.", []string{"state"}, nil)
	stuckDesc   = prometheus.NewDesc("winnow_items_stuck", "Items processing whose lease ran out: their worker died; the reconciler queues them again.", nil, nil)
	retriedDesc = prometheus.NewDesc("winnow_items_retried", "Unfinished items on a second or later attempt.", nil, nil)
	setsDesc    = prometheus.NewDesc("winnow_hash_sets", "Hash sets per state; load_failed: ready sets a worker could not load (retried).", []string{"state"}, nil)
	queueDesc   = prometheus.NewDesc("winnow_queue_tasks", "Tasks in the queue per state (pending, active, retry, ...).", []string{"state"}, nil)
)

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- itemsDesc
	ch <- queueDesc
	ch <- stuckDesc
	ch <- retriedDesc
	ch <- setsDesc
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if g.states != nil {
		if counts, err := g.states.ItemStateCounts(ctx); err == nil {
			for _, st := range triage.ItemStates {
				ch <- prometheus.MustNewConstMetric(itemsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
			}
		}
		if stuck, retried, err := g.states.ItemHealth(ctx); err == nil {
			ch <- prometheus.MustNewConstMetric(stuckDesc, prometheus.GaugeValue, float64(stuck))
			ch <- prometheus.MustNewConstMetric(retriedDesc, prometheus.GaugeValue, float64(retried))
		}
	}
	if g.sets != nil {
		if sets, err := g.sets.Sets(ctx); err == nil {
			n := map[string]int{string(triage.SetImporting): 0, string(triage.SetReady): 0, string(triage.SetFailed): 0, "load_failed": 0}
			for _, st := range sets {
				n[string(st.State)]++
				if st.LoadError != "" {
					n["load_failed"]++
				}
			}
			for st, v := range n {
				ch <- prometheus.MustNewConstMetric(setsDesc, prometheus.GaugeValue, float64(v), st)
			}
		}
	}
	if g.queue != nil {
		if depth, err := g.queue.QueueDepth(ctx); err == nil {
			for st, n := range depth {
				ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(n), st)
			}
		}
	}
}
