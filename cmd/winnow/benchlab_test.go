package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mgo "github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The TestBenchLab* functions are the client side of scripts/bench-lab.sh,
// which starts the service and sets WINNOW_BENCH_DIR; without it they skip.

func benchEnv(t *testing.T) string {
	dir := os.Getenv("WINNOW_BENCH_DIR")
	if dir == "" {
		t.Skip("run by scripts/bench-lab.sh")
	}
	return dir
}

// TestBenchLabUploadPath compares winnow submit (no worker running) with a
// plain minio-go PutObject loop of the same files at the same concurrency.
// The files are copies of the benchmark photos with one more JPEG comment,
// so that the service has not stored them yet.
func TestBenchLabUploadPath(t *testing.T) {
	dir := benchEnv(t)
	src, _ := collectFiles(context.Background(), []string{dir})
	copies := filepath.Join(t.TempDir(), "upload")
	var total int64
	for _, f := range src {
		b, err := os.ReadFile(f.local)
		if err != nil {
			t.Fatal(err)
		}
		b = append([]byte{0xff, 0xd8, 0xff, 0xfe, 0, 13, 'u', 'p', 'l', 'o', 'a', 'd', ' ', 'c', 'o', 'p', 'y'}, b[2:]...)
		writeFile(t, filepath.Join(copies, filepath.Base(f.local)), b)
		total += int64(len(b))
	}
	files, _ := collectFiles(context.Background(), []string{copies})
	conc := 8
	mc, err := mgo.New(os.Getenv("WINNOW_MINIO_ENDPOINT"), &mgo.Options{Creds: credentials.NewStaticV4(os.Getenv("WINNOW_MINIO_ACCESS_KEY"), os.Getenv("WINNOW_MINIO_SECRET_KEY"), "")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mc.MakeBucket(ctx, "plain", mgo.MakeBucketOptions{})
	apiPID, _ := strconv.Atoi(os.Getenv("WINNOW_BENCH_SERVE_PID"))
	minioPID, _ := strconv.Atoi(os.Getenv("WINNOW_BENCH_MINIO_PID"))
	c0, m0 := busyCPU(t), pidCPU(t, minioPID)
	start := time.Now()
	work := make(chan submitFile)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for f := range work {
				fh, err := os.Open(f.local)
				if err != nil {
					t.Error(err)
					continue
				}
				_, err = mc.PutObject(ctx, "plain", f.label, fh, f.size, mgo.PutObjectOptions{ContentType: "application/octet-stream"})
				fh.Close()
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
	plain := time.Since(start)
	c1, m1, a1 := busyCPU(t), pidCPU(t, minioPID), pidCPU(t, apiPID)

	start = time.Now()
	code, out, errs := runWinnowEnv(t, map[string]string{"WINNOW_SERVER": os.Getenv("WINNOW_SERVER"), "WINNOW_TOKEN": os.Getenv("WINNOW_TOKEN")},
		"submit", "--case", "upload", "--exhibit", "copies", "--json", "--concurrency", strconv.Itoa(conc), copies)
	if code != 0 {
		t.Fatalf("submit: %d %s", code, errs)
	}
	sub := time.Since(start)
	c2, m2, a2 := busyCPU(t), pidCPU(t, minioPID), pidCPU(t, apiPID)
	s := summaryOf(t, out)
	t.Logf("upload path, %d files, %d MB, %d at once: plain PutObject loop %.1f files/s %.0f MB/s; winnow submit %.1f files/s %.0f MB/s (%d uploaded) = %.0f%% of the plain loop",
		len(files), total/1e6, conc, float64(len(files))/plain.Seconds(), float64(total)/1e6/plain.Seconds(),
		float64(len(files))/sub.Seconds(), float64(total)/1e6/sub.Seconds(), s.Uploaded, 100*plain.Seconds()/sub.Seconds())
	ms := func(cpu float64) float64 { return 1000 * cpu / float64(len(files)) }
	t.Logf("upload path, machine CPU per file: plain loop %.1f ms (MinIO %.1f, the loop and the kernel %.1f); winnow submit %.1f ms (MinIO %.1f, API %.1f, client, PostgreSQL, Redis and the kernel %.1f)",
		ms(c1-c0), ms(m1-m0), ms(c1-c0-(m1-m0)), ms(c2-c1), ms(m2-m1), ms(a2-a1), ms(c2-c1-(m2-m1)-(a2-a1)))
}

// busyCPU returns the machine's busy CPU seconds so far, all cores (user,
// system and interrupts from /proc/stat; not idle, iowait or steal).
func busyCPU(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		t.Fatalf("/proc/stat: unexpected first line %q", line)
	}
	var ticks float64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system irq softirq
		v, _ := strconv.ParseFloat(f[i], 64)
		ticks += v
	}
	return ticks / 100 // USER_HZ
}

// pidCPU returns the user and system CPU seconds process pid has used.
func pidCPU(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		t.Fatalf("/proc/%d/stat: too short", pid)
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

// TestBenchLabPolling has 50 clients poll exhibit status for 20 s.
func TestBenchLabPolling(t *testing.T) {
	benchEnv(t)
	url := os.Getenv("WINNOW_SERVER") + "/api/v1/cases/bench/exhibits/all/status"
	tok := os.Getenv("WINNOW_TOKEN")
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			c := &http.Client{}
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				start := time.Now()
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				d := time.Since(start)
				mu.Lock()
				if err != nil || resp.StatusCode != 200 {
					errs++
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
				time.Sleep(100 * time.Millisecond) // a client polls about 10 times a second
			}
		})
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		t.Fatal("no answers")
	}
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	t.Logf("status polling, 50 clients, 20 s: %d requests (%.0f/s), %d errors, p50 %s, p99 %s, max %s",
		len(lat), float64(len(lat))/20, errs, p(0.5).Round(time.Microsecond), p(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
}

// TestBenchLabUploadRSS has 8 clients each stream 1 GiB of random bytes to
// the API and reports the API process's peak RSS.
func TestBenchLabUploadRSS(t *testing.T) {
	benchEnv(t)
	pid, _ := strconv.Atoi(os.Getenv("WINNOW_BENCH_SERVE_PID"))
	tok := os.Getenv("WINNOW_TOKEN")
	base := os.Getenv("WINNOW_SERVER") + "/api/v1/cases/bench/exhibits/big/items?path="
	req, _ := http.NewRequest("PUT", os.Getenv("WINNOW_SERVER")+"/api/v1/cases/bench/exhibits/big", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	before := rssKiB(t, pid)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			req, _ := http.NewRequest("PUT", base+filepath.Join("random", strconv.Itoa(i)), io.LimitReader(rand.Reader, 1<<30))
			req.ContentLength = 1 << 30
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				t.Errorf("upload %d: %d", i, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	t.Logf("8 clients x 1 GiB: %.0f MB/s in all; API peak RSS %d MiB (before: %d MiB)", 8*float64(1<<30)/1e6/d.Seconds(), rssKiB(t, pid)/1024, before/1024)
}
