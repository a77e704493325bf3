package workers

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/winnow-forensics/winnow/triage/matching"
)

type workerMetrics struct {
	items      *prometheus.CounterVec
	bytes      prometheus.Counter
	seconds    prometheus.Histogram
	reconciled prometheus.Counter
	members    prometheus.Counter
	// undecodable counts carved candidates not recorded (CheckCarved).
	undecodable prometheus.Counter
	orphans     *prometheus.CounterVec
}

func newWorkerMetrics(reg *prometheus.Registry, m *matching.Matcher, sync *SetSync) *workerMetrics {
	wm := &workerMetrics{
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_worker_items_total", Help: "Items analysed, by verdict.",
		}, []string{"verdict"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "winnow_worker_hashed_bytes_total", Help: "Bytes of evidence hashed.",
		}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "winnow_worker_analyze_seconds", Help: "Time to analyse one item.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		reconciled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "winnow_worker_reconciled_total", Help: "Stuck items and sets enqueued again by the reconciler.",
		}),
		members: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "winnow_worker_archive_members_total", Help: "Archive members recorded as child items.",
		}),
		undecodable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "winnow_worker_carved_undecodable_total",
			Help: "Carved candidates cut short that no decoder reads, not recorded as items (failed validation by decoding).",
		}),
		orphans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "winnow_worker_orphans_removed_total",
			Help: "Stored objects no item referred to after the grace period, removed by the orphan collection (evidence: contents; incoming: unfinished uploads).",
		}, []string{"kind"}),
	}
	sets := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "winnow_worker_hash_sets", Help: "Hash sets loaded in the matcher.",
	}, func() float64 { return float64(len(m.Sets())) })
	failed := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "winnow_worker_hash_sets_failed", Help: "Hash sets that do not load (retried; the others are matched meanwhile).",
	}, func() float64 { return float64(len(sync.Failed())) })
	reg.MustRegister(wm.items, wm.bytes, wm.seconds, wm.reconciled, wm.members, wm.undecodable, wm.orphans, sets, failed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return wm
}
