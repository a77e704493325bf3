package triagetest

import (
	"fmt"
	"math/rand/v2"

	"github.com/winnow-forensics/winnow/triage"
)

// Entries returns n hash-set entries of every shape (digests only, PDQ,
// pHash with MD5, SHA-256 with PDQ; with and without names, series, tags,
// flags and extra fields), the same for the same seed. The hashes are
// random: they stand for no file.
func Entries(n int, seed uint64) []triage.Entry {
	rng := rand.New(rand.NewPCG(seed, 1))
	cats := []triage.Category{{}, triage.MustParseCategory("vic-us:1"), triage.MustParseCategory("caid:A"), triage.MustParseCategory("vic-us:0")}
	var es []triage.Entry
	for i := 0; i < n; i++ {
		e := triage.NewEntry()
		e.Pos = int64(i + 1)
		switch i % 4 {
		case 0:
			e.Algos = triage.AlgosCrypto
			for k := range e.MD5 {
				e.MD5[k] = byte(rng.Uint32())
			}
			for k := range e.SHA1 {
				e.SHA1[k] = byte(rng.Uint32())
			}
			for k := range e.SHA256 {
				e.SHA256[k] = byte(rng.Uint32())
			}
			e.Size = int64(rng.IntN(1 << 30))
		case 1:
			e.Algos = triage.AlgoSet(triage.AlgoPDQ)
			for k := range e.PDQ {
				e.PDQ[k] = byte(rng.Uint32())
			}
			e.PDQQuality = rng.IntN(101)
		case 2:
			e.Algos = triage.AlgoSet(triage.AlgoPHash | triage.AlgoMD5)
			e.PHash = triage.PHash(rng.Uint64())
			e.MD5[0], e.MD5[1] = byte(i), byte(i>>8)
			e.PhotoDNA = "AAEC"
		default:
			e.Algos = triage.AlgoSet(triage.AlgoSHA256 | triage.AlgoPDQ)
			e.SHA256[0], e.SHA256[5] = byte(i), 7
			e.PDQ[3] = byte(i)
		}
		e.Category = cats[i%len(cats)]
		e.ID = fmt.Sprint(1000 + i)
		if i%3 == 0 {
			e.Name = fmt.Sprintf("dir/ñame,%d \"q\".jpg", i)
			e.Series = "Series " + fmt.Sprint(i%5)
			e.Tags = []string{"a", "b c"}
			e.Flags = triage.FlagVictimIdentified | triage.FlagDistributed
			e.Extra = map[string]string{"IsPrecategorized": "true", "Nested": `{"x":[1,2]}`}
		}
		es = append(es, e)
	}
	return es
}

// FlipBits returns h with n distinct random bits flipped: a PDQ hash at
// Hamming distance n from h.
func FlipBits(h triage.PDQ, rng *rand.Rand, n int) triage.PDQ {
	for _, k := range rng.Perm(256)[:n] {
		h[k/8] ^= 1 << (k % 8)
	}
	return h
}
