package hashing

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

func TestKnownDigests(t *testing.T) {
	// Known answers for "abc" (FIPS 180 / RFC 1321 test vectors).
	d := newDigester(triage.AlgosCrypto).sumBytes([]byte("abc"))
	if got, want := d.MD5.String(), "900150983cd24fb0d6963f7d28e17f72"; got != want {
		t.Errorf("md5 = %s, want %s", got, want)
	}
	if got, want := d.SHA1.String(), "a9993e364706816aba3e25717850c26c9cd0d89d"; got != want {
		t.Errorf("sha1 = %s, want %s", got, want)
	}
	if got, want := d.SHA256.String(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("sha256 = %s, want %s", got, want)
	}
}

func TestDigestStreamMatchesBytes(t *testing.T) {
	data := make([]byte, 3*streamChunkSize+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	want := triage.Digests{MD5: md5.Sum(data), SHA1: sha1.Sum(data), SHA256: sha256.Sum256(data)}
	for _, algos := range []triage.AlgoSet{triage.AlgosCrypto, triage.AlgoSet(triage.AlgoSHA256), triage.AlgoSet(triage.AlgoMD5 | triage.AlgoSHA1)} {
		var tee strings.Builder
		n, got, err := newDigester(algos).sumStream(strings.NewReader(string(data)), &tee)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%v: sumStream = %d, %v", algos, n, err)
		}
		if tee.Len() != len(data) {
			t.Errorf("%v: tee got %d bytes, want %d", algos, tee.Len(), len(data))
		}
		if algos.Has(triage.AlgoMD5) && got.MD5 != want.MD5 || algos.Has(triage.AlgoSHA1) && got.SHA1 != want.SHA1 ||
			algos.Has(triage.AlgoSHA256) && got.SHA256 != want.SHA256 {
			t.Errorf("%v: stream digests %+v, want %+v", algos, got, want)
		}
		if b := newDigester(algos).sumBytes(data); b != got {
			t.Errorf("%v: bytes digests %+v differ from stream %+v", algos, b, got)
		}
	}
}
