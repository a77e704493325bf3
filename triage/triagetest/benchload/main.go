// Command benchload measures loading large compiled hash sets: it writes
// a generated set to disk once (random digests and PDQ hashes, no media),
// then times reading it (checksums included) and indexing it in a
// Matcher, and reports the memory the indexes and the process hold.
//
//	go run ./triage/triagetest/benchload -n 50000000 -algos md5 -dir .cache/benchload
//	go run ./triage/triagetest/benchload -n 10000000 -algos md5,sha1,sha256 -dir .cache/benchload
//	go run ./triage/triagetest/benchload -n 10000000 -algos pdq -dir .cache/benchload
//
// The set file is kept in -dir and reused by later runs with the same
// -n, -algos and -seed; reading it right after writing measures the page
// cache, not the disk (run it twice to see both the same).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/index"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

func main() {
	n := flag.Int("n", 1_000_000, "entries in the set")
	algos := flag.String("algos", "md5", "hashes of every entry: md5, sha1, sha256, pdq (comma-separated)")
	seed := flag.Uint64("seed", 1, "random seed")
	dir := flag.String("dir", ".cache/benchload", "folder for the generated set file")
	flag.Parse()
	as, err := triage.ParseAlgoSet(*algos)
	if err != nil || as&^(triage.AlgosCrypto|triage.AlgoSet(triage.AlgoPDQ)) != 0 {
		log.Fatalf("-algos: want md5, sha1, sha256 and/or pdq")
	}
	path := filepath.Join(*dir, fmt.Sprintf("set-%d-%s-%d.wset", *n, strings.ReplaceAll(as.String(), ",", "+"), *seed))
	if _, err := os.Stat(path); err != nil {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			log.Fatal(err)
		}
		t0 := time.Now()
		if err := write(path, *n, as, *seed); err != nil {
			log.Fatal(err)
		}
		log.Printf("wrote %s in %.1f s", path, time.Since(t0).Seconds())
		runtime.GC()
		debug.FreeOSMemory()
	}
	fi, err := os.Stat(path)
	if err != nil {
		log.Fatal(err)
	}

	rss0 := rss()
	t0, c0 := time.Now(), cpu()
	s, err := setfile.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	readS, readCPU := time.Since(t0).Seconds(), cpu()-c0
	rssSet := rss()

	t1, c1 := time.Now(), cpu()
	m := matching.New(matching.Options{})
	m.AddSet(s)
	indexS, indexCPU := time.Since(t1).Seconds(), cpu()-c1
	runtime.GC()
	rssAll := rss()

	// The indexes alone, built the same way, for their own size.
	var idxBytes int64
	if as.Has(triage.AlgoMD5) {
		ids, h := s.MD5s()
		idxBytes += index.BuildExact(16, flatten(h), ids).Bytes()
	}
	if as.Has(triage.AlgoSHA1) {
		ids, h := s.SHA1s()
		idxBytes += index.BuildExact(20, flatten(h), ids).Bytes()
	}
	if as.Has(triage.AlgoSHA256) {
		ids, h := s.SHA256s()
		idxBytes += index.BuildExact(32, flatten(h), ids).Bytes()
	}
	if as.Has(triage.AlgoPDQ) {
		ids, h := s.PDQs()
		hs := make([][32]byte, len(h))
		for i := range h {
			hs[i] = h[i]
		}
		idxBytes += index.BuildNear256(hs, ids).Bytes()
	}

	out, _ := json.Marshal(map[string]any{
		"entries": s.Len(), "algos": as.String(), "file_bytes": fi.Size(),
		"read_s": round(readS), "read_cpu_s": round(readCPU),
		"index_s": round(indexS), "index_cpu_s": round(indexCPU),
		"load_s":      round(readS + indexS),
		"index_bytes": idxBytes, "index_bytes_per_entry": round(float64(idxBytes) / float64(s.Len())),
		"rss_before_mib": rss0 >> 20, "rss_set_mib": rssSet >> 20, "rss_set_and_index_mib": rssAll >> 20,
		"gomaxprocs": runtime.GOMAXPROCS(0),
	})
	fmt.Println(string(out))
	runtime.KeepAlive(m)
}

// write generates the set: every entry has the asked hashes and a short
// id, like an NSRL or VICS record with nothing else.
func write(path string, n int, as triage.AlgoSet, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 2))
	b := setfile.NewBuilder(triage.SetMeta{Name: "bench", Version: "1", Kind: triage.SetKindAlert, Created: time.Now().UTC()})
	fill := func(p []byte) {
		for i := 0; i < len(p); i += 8 {
			v := rng.Uint64()
			for j := i; j < min(i+8, len(p)); j++ {
				p[j] = byte(v)
				v >>= 8
			}
		}
	}
	for i := 0; i < n; i++ {
		e := triage.NewEntry()
		e.Algos = as
		if as.Has(triage.AlgoMD5) {
			fill(e.MD5[:])
		}
		if as.Has(triage.AlgoSHA1) {
			fill(e.SHA1[:])
		}
		if as.Has(triage.AlgoSHA256) {
			fill(e.SHA256[:])
		}
		if as.Has(triage.AlgoPDQ) {
			fill(e.PDQ[:])
			e.PDQQuality = 100
		}
		if _, err := b.Add(e); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := b.WriteTo(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

func flatten[H triage.MD5 | triage.SHA1 | triage.SHA256](hs []H) []byte {
	var out []byte
	for _, h := range hs {
		switch h := any(h).(type) {
		case triage.MD5:
			out = append(out, h[:]...)
		case triage.SHA1:
			out = append(out, h[:]...)
		case triage.SHA256:
			out = append(out, h[:]...)
		}
	}
	return out
}

// rss returns the process's resident set size in bytes.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			var kb int64
			fmt.Sscan(f[1], &kb)
			return kb << 10
		}
	}
	return 0
}

// cpu returns the process's CPU time (user + system) in seconds.
func cpu() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func round(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
