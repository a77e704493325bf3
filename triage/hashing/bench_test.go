package hashing

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"image"
	"image/jpeg"
	"sync"
	"testing"

	"github.com/corona10/goimagehash"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

var (
	photo12Once sync.Once
	photo12     [][]byte
)

// photos12MP are generated 4000x3000 baseline 4:2:0 JPEGs at quality 90,
// about 2.8 MB each: the size and shape of phone camera photos. Benchmarks
// cycle through several distinct files, as a seizure would, so that caches
// and branch predictors do not flatter the figures.
func photos12MP() [][]byte {
	photo12Once.Do(func() {
		photo12 = make([][]byte, 4)
		var wg sync.WaitGroup
		for i := range photo12 {
			wg.Go(func() { photo12[i] = triagetest.PhotoJPEG(4000, 3000, uint64(12+i), 90) })
		}
		wg.Wait()
	})
	return photo12
}

func photo12MP() []byte { return photos12MP()[0] }

// BenchmarkPipeline12MP is the full pipeline (MD5 + SHA-1 + SHA-256 + sniff
// + decode + PDQ + pHash + dHash) on one 12 MP JPEG. Run with -cpu 1 to
// measure images per second per core. The "fast" variant uses libjpeg-turbo
// when built with -tags turbojpeg; "go" forces image/jpeg.
func BenchmarkPipeline12MP(b *testing.B) {
	photos := photos12MP()
	for _, v := range []struct {
		name    string
		noTurbo bool
	}{{"fast", false}, {"go", true}} {
		b.Run(v.name, func(b *testing.B) {
			h := New(Options{NoFastJPEG: v.noTurbo})
			b.SetBytes(int64(len(photos[0])))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if fp := h.HashBytes(context.Background(), photos[i%len(photos)]); fp.Err != nil {
					b.Fatal(fp.Err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkNaivePipeline12MP is the straightforward pipeline the fast one
// replaces: image.Decode, then goimagehash on the full-size image, with the
// digests one after another. It is the "before" figure in the README.
func BenchmarkNaivePipeline12MP(b *testing.B) {
	data := photo12MP()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for _, h := range []hash.Hash{md5.New(), sha1.New(), sha256.New()} {
			h.Write(data)
			h.Sum(nil)
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := goimagehash.PerceptionHash(img); err != nil {
			b.Fatal(err)
		}
		if _, err := goimagehash.DifferenceHash(img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

var _ = jpeg.Decode // image.Decode needs the JPEG decoder registered

// BenchmarkDigest compares each digest alone with the three computed
// together from one read (concurrently), on a 64 MiB buffer and streamed.
func BenchmarkDigest(b *testing.B) {
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 31)
	}
	for _, v := range []struct {
		name  string
		algos triage.AlgoSet
	}{
		{"md5", triage.AlgoSet(triage.AlgoMD5)}, {"sha1", triage.AlgoSet(triage.AlgoSHA1)}, {"sha256", triage.AlgoSet(triage.AlgoSHA256)},
		{"all3", triage.AlgosCrypto},
	} {
		b.Run(v.name+"/bytes", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				newDigester(v.algos).sumBytes(data)
			}
		})
		b.Run(v.name+"/stream", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, _, err := newDigester(v.algos).sumStream(bytes.NewReader(data), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSniff measures type sniffing on a JPEG header.
func BenchmarkSniff(b *testing.B) {
	head := photo12MP()[:SniffLen]
	for b.Loop() {
		Sniff(head)
	}
}
