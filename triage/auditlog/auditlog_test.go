package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// chain returns n chained events and a key that signed a checkpoint at
// seq cpAt.
func chain(t testing.TB, n int, cpAt int64) ([]triage.AuditEvent, []triage.AuditCheckpoint, ed25519.PublicKey, ed25519.PrivateKey) {
	pub, key, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	var evs []triage.AuditEvent
	var prev triage.SHA256
	at := time.Date(2026, 12, 7, 9, 0, 0, 123456000, time.UTC)
	var cps []triage.AuditCheckpoint
	for i := range n {
		ev := triage.AuditEvent{ID: int64(100 + i), At: at.Add(time.Duration(i) * time.Second), UserID: 3, UserName: "ann",
			Action: triage.AuditMediaAccess, Target: "item/" + string(rune('a'+i)), Detail: map[string]string{"what": "content", "b": "2"},
			Remote: "10.0.0.1", Chain: "lab", Seq: int64(i + 1), PrevHash: prev}
		ev.Hash = Hash(&ev)
		prev = ev.Hash
		evs = append(evs, ev)
		if ev.Seq == cpAt {
			cp := triage.AuditCheckpoint{Chain: "lab", Seq: ev.Seq, Hash: ev.Hash, At: at.Add(time.Hour)}
			Sign(key, &cp)
			cps = append(cps, cp)
		}
	}
	return evs, cps, pub, key
}

func verify(evs []triage.AuditEvent, cps []triage.AuditCheckpoint, pub ed25519.PublicKey) *Problem {
	v := NewVerifier("lab", pub, cps)
	for i := range evs {
		if !v.Add(&evs[i]) {
			break
		}
	}
	return v.Done()
}

// TestCanonicalVector pins the encoding: storage/postgres's SQL must give
// the same hash (the lab test checks that on a real database).
func TestCanonicalVector(t *testing.T) {
	ev := triage.AuditEvent{At: time.UnixMicro(1700000000123456), UserID: 1, UserName: "a", Action: "x", Target: "t",
		Detail: map[string]string{"k": "v"}, Remote: "r", Chain: "lab", Seq: 1}
	got := hex.EncodeToString(Canonical(&ev))
	want := "77696e6e6f772d61756469742d7631" + "000000036c6162" + "0000000000000001" + "00000020" + strings.Repeat("00", 32) +
		"00060a2418202240" + "0000000000000001" + "0000000161" + "0000000178" + "0000000174" + "00000001" + "000000016b" + "0000000176" + "0000000172"
	if got != want {
		t.Errorf("canonical\n got %s\nwant %s", got, want)
	}
}

func TestVerifier(t *testing.T) {
	evs, cps, pub, _ := chain(t, 10, 8)
	if p := verify(evs, cps, pub); p != nil {
		t.Fatalf("intact chain: %v", p)
	}
	for _, tc := range []struct {
		name   string
		change func(evs []triage.AuditEvent, cps []triage.AuditCheckpoint) ([]triage.AuditEvent, []triage.AuditCheckpoint)
		kind   string
		seq    int64
	}{
		{"edited", func(e []triage.AuditEvent, c []triage.AuditCheckpoint) ([]triage.AuditEvent, []triage.AuditCheckpoint) {
			e[3].Detail = map[string]string{"what": "thumbnail", "b": "2"}
			return e, c
		}, "edited", 4},
		{"edited, hash recomputed", func(e []triage.AuditEvent, c []triage.AuditCheckpoint) ([]triage.AuditEvent, []triage.AuditCheckpoint) {
			e[3].UserName = "bob"
			e[3].Hash = Hash(&e[3])
			return e, c
		}, "edited", 4},
		{"edited, chain recomputed", func(e []triage.AuditEvent, c []triage.AuditCheckpoint) ([]triage.AuditEvent, []triage.AuditCheckpoint) {
			e[3].UserName = "bob"
			for i := 3; i < len(e); i++ {
				e[i].PrevHash = e[i-1].Hash
				e[i].Hash = Hash(&e[i])
			}
			return e, c
		}, "edited", 8},
		{"deleted", func(e []triage.AuditEvent, c []triage.AuditCheckpoint) ([]triage.AuditEvent, []triage.AuditCheckpoint) {
			return append(e[:5:5], e[6:]...), c
		}, "deleted", 6},
		{"truncated", func(e []triage.AuditEvent, c []triage.AuditCheckpoint) ([]triage.AuditEvent, []triage.AuditCheckpoint) {
			return e[:6], c
		}, "truncated", 7},
		{"forged checkpoint", func(e []triage.AuditEvent, c []triage.AuditCheckpoint) ([]triage.AuditEvent, []triage.AuditCheckpoint) {
			c[0].Seq = 6
			return e, c
		}, "checkpoint", 6},
		{"reordered", func(e []triage.AuditEvent, c []triage.AuditCheckpoint) ([]triage.AuditEvent, []triage.AuditCheckpoint) {
			e[2], e[3] = e[3], e[2]
			return e, c
		}, "deleted", 3},
	} {
		e, c, _, _ := chain(t, 10, 8)
		e, c = tc.change(e, c)
		p := verify(e, c, pub)
		if p == nil || p.Kind != tc.kind || p.Seq != tc.seq {
			t.Errorf("%s: %+v, want %s at seq %d", tc.name, p, tc.kind, tc.seq)
		}
	}
}

func TestExportRoundTrip(t *testing.T) {
	evs, cps, pub, _ := chain(t, 5, 5)
	var buf bytes.Buffer
	x, err := NewWriter(&buf, pub, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i := range cps {
		x.Write(CheckpointRecord(&cps[i]))
	}
	for i := range evs {
		x.Write(EventRecord(&evs[i]))
	}
	x.Flush()
	good := buf.String()
	rs, h, err := VerifyExport(strings.NewReader(good), nil)
	if err != nil || len(rs) != 1 || rs[0].Problem != nil || rs[0].Events != 5 || h.KeyID != KeyID(pub) {
		t.Fatalf("export: %+v %+v %v", rs, h, err)
	}
	// One character of one event changed.
	bad := strings.Replace(good, `"target":"item/c"`, `"target":"item/x"`, 1)
	rs, _, err = VerifyExport(strings.NewReader(bad), nil)
	if err != nil || rs[0].Problem == nil || rs[0].Problem.Seq != 3 {
		t.Errorf("edited export: %+v %v", rs, err)
	}
	// Signed by another key than the one given.
	other, _, _ := ed25519.GenerateKey(nil)
	rs, _, _ = VerifyExport(strings.NewReader(good), other)
	if rs[0].Problem == nil || rs[0].Problem.Kind != "checkpoint" {
		t.Errorf("other key: %+v", rs)
	}
	// A header alone is an empty log.
	if rs, _, err := VerifyExport(strings.NewReader(`{"format":"winnow-audit-export-v1","exported_at":"2026-12-07T09:00:00Z"}`+"\n"), nil); err != nil || len(rs) != 0 {
		t.Errorf("header only: %+v %v", rs, err)
	}
}

// FuzzReadExport reads any bytes as an export: errors, never a panic or
// an unbounded allocation.
func FuzzReadExport(f *testing.F) {
	evs, cps, pub, _ := chain(f, 3, 2)
	var buf bytes.Buffer
	x, _ := NewWriter(&buf, pub, time.Unix(0, 0))
	x.Write(CheckpointRecord(&cps[0]))
	for i := range evs {
		x.Write(EventRecord(&evs[i]))
	}
	x.Flush()
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"winnow-audit-export-v1"}` + "\n" + `{"type":"event","chain":"lab","seq":1,"hash":"00","at":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		VerifyExport(bytes.NewReader(b), nil)
	})
}

// FuzzCanonical checks that the encoding is injective on what matters:
// two events that encode alike are equal in every hashed field.
func FuzzCanonical(f *testing.F) {
	f.Add("ann", "item.media", "item/1", "k", "v", "k2", "v2", int64(1), int64(5))
	f.Add("", "", "", "", "", "", "", int64(0), int64(-1))
	f.Fuzz(func(t *testing.T, user, action, target, k1, v1, k2, v2 string, seq, uid int64) {
		a := triage.AuditEvent{UserName: user, Action: action, Target: target, Detail: map[string]string{k1: v1, k2: v2}, Seq: seq, UserID: uid, At: time.UnixMicro(seq)}
		b := a
		b.Target, b.UserName = a.UserName, a.Target // swapped fields
		if a.Target != a.UserName && bytes.Equal(Canonical(&a), Canonical(&b)) {
			t.Errorf("two different events encode alike: %+v %+v", a, b)
		}
		c := a
		c.Detail = map[string]string{k1 + k2: v1 + v2}
		if len(a.Detail) == 2 && bytes.Equal(Canonical(&a), Canonical(&c)) {
			t.Errorf("detail pairs merge: %+v %+v", a, c)
		}
	})
}
