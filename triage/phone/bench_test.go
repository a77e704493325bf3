//go:build unix

package phone_test

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/phone"
	"github.com/winnow-forensics/winnow/triage/phone/phonetest"
)

// writeBenchUFDR writes a UFDR of n files to path: one in ten with 1 KiB
// of content, the others listed by their digests alone.
func writeBenchUFDR(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	w, err := zw.Create("report.xml")
	if err != nil {
		tb.Fatal(err)
	}
	i := 0
	content := make([]byte, 1024)
	if err := phonetest.WriteReport(w, func(e *phonetest.Entry) bool {
		if i == n {
			return false
		}
		*e = phonetest.Entry{Path: fmt.Sprintf("/private/var/mobile/Media/DCIM/%03dAPPLE/IMG_%06d.JPG", i/1000, i), Modified: t1, Created: t2,
			SHA256: fmt.Sprintf("%064x", i+1), MD5: fmt.Sprintf("%032x", i+1)}
		if i%10 == 0 {
			e.LocalPath = fmt.Sprintf("files/Image/IMG_%06d.JPG", i)
		}
		i++
		return true
	}); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i += 10 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("files/Image/IMG_%06d.JPG", i), Method: zip.Store})
		if err != nil {
			tb.Fatal(err)
		}
		content[0], content[1], content[2] = byte(i), byte(i>>8), byte(i>>16)
		w.Write(content)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkExpandUFDR expands a generated UFDR of 100,000 files from disk
// and reports files per CPU-second (user and system time of the process,
// the heap sampler included) and the peak Go heap in use.
func BenchmarkExpandUFDR(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "bench.ufdr")
	writeBenchUFDR(b, path, n)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	b.Logf("UFDR of %d files: %.1f MB", n, float64(fi.Size())/1e6)
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	cpu0 := cpu()
	members := 0
	for b.Loop() {
		members = 0
		_, err := phone.Extractions.Expand(context.Background(), f, fi.Size(), container.Options{}, func(m *container.Member, r io.Reader) error {
			members++
			if r != nil {
				_, err := io.Copy(io.Discard, r)
				return err
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	used := cpu() - cpu0
	close(stop)
	<-done
	if members != n {
		b.Fatalf("%d members, want %d", members, n)
	}
	// CPU time, not wall time: the machine may be shared.
	b.ReportMetric(float64(n)*float64(b.N)/used.Seconds(), "files/cpu-s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
