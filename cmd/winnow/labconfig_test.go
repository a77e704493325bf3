package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/container"
)

func TestReadServeConfig(t *testing.T) {
	base := map[string]string{"WINNOW_MINIO_ACCESS_KEY": "a", "WINNOW_MINIO_SECRET_KEY": "b"}
	get := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	c, err := ReadServeConfig(get(nil))
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if c.Listen != "127.0.0.1:8080" || c.MinIO.Bucket != "winnow" || c.MinIO.PartSize != 8<<20 || c.Redis.Addr != "127.0.0.1:6379" {
		t.Errorf("defaults = %+v", c)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"WINNOW_MINIO_ACCESS_KEY": ""}, "WINNOW_MINIO_ACCESS_KEY and WINNOW_MINIO_SECRET_KEY are required"},
		{map[string]string{"WINNOW_REDIS_DB": "99"}, "WINNOW_REDIS_DB=\"99\": want a whole number from 0 to 15"},
		{map[string]string{"WINNOW_MINIO_SSE": "c"}, "WINNOW_MINIO_SSEC_KEY"},
		{map[string]string{"WINNOW_MINIO_SSE": "kms"}, "want none, s3 or c"},
		{map[string]string{"WINNOW_MINIO_RETENTION": "forever"}, "GOVERNANCE or COMPLIANCE"},
		{map[string]string{"WINNOW_MINIO_PART_SIZE_MIB": "1"}, "from 5 to 5120"},
		{map[string]string{"WINNOW_PG_URL": "mysql://x"}, "want postgres://"},
		{map[string]string{"WINNOW_LOG_LEVEL": "loud", "WINNOW_MINIO_SECURE": "maybe"}, "WINNOW_MINIO_SECURE=\"maybe\": want true or false"},
	} {
		_, err := ReadServeConfig(get(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to say %q", tc.env, err, tc.want)
		}
	}
	w, err := ReadWorkerConfig(get(map[string]string{"WINNOW_SET_SYNC_EVERY": "1s", "WINNOW_WORKER_LEASE": "2m"}), 2)
	if err != nil || w.SyncEvery != time.Second || w.Lease != 2*time.Minute || w.Concurrency != 4 {
		t.Errorf("worker config = %+v, %v", w, err)
	}
	if _, err := ReadWorkerConfig(get(map[string]string{"WINNOW_SET_SYNC_EVERY": "30s"}), 2); err == nil {
		t.Errorf("sync every 30s accepted: new entries would not match within 10 s")
	}
	if w.Archive != (container.Limits{MaxDepth: 6, MaxEntries: 250_000, MaxTotalBytes: 1 << 40, MaxRatio: 1000}) || w.Rules.MinSide != 50 {
		t.Errorf("worker defaults: archive %+v, rules %+v", w.Archive, w.Rules)
	}

	// WINNOW_RULES is winnow scan --rules for the worker.
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.json"), filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"min_side": 80, "default": {"trimmed": false}}`), 0o644)
	os.WriteFile(bad, []byte(`{"default": {"pdq": {"radius": 300}}}`), 0o644)
	w, err = ReadWorkerConfig(get(map[string]string{"WINNOW_RULES": good, "WINNOW_ARCHIVE_MAX_DEPTH": "2"}), 2)
	if err != nil || w.Rules.MinSide != 80 || w.Rules.Default.Trimmed || w.Archive.MaxDepth != 2 {
		t.Errorf("WINNOW_RULES=%s: %+v, %v", good, w.Rules, err)
	}
	for _, tc := range []struct{ env, want string }{
		{bad, "WINNOW_RULES: " + bad},
		{filepath.Join(dir, "missing.json"), "no such file"},
	} {
		if _, err := ReadWorkerConfig(get(map[string]string{"WINNOW_RULES": tc.env}), 2); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("WINNOW_RULES=%s: error %v, want it to say %q", tc.env, err, tc.want)
		}
	}
	if _, err := ReadWorkerConfig(get(map[string]string{"WINNOW_ARCHIVE_MAX_RATIO": "0"}), 2); err == nil || !strings.Contains(err.Error(), "WINNOW_ARCHIVE_MAX_RATIO") {
		t.Errorf("archive ratio 0: %v", err)
	}
}

// FuzzReadConfig feeds arbitrary values to every variable: the result is
// a valid configuration or an error, never a panic.
func FuzzReadConfig(f *testing.F) {
	f.Add("5", "true", "c", "GOVERNANCE", "10", "debug", "30s", "postgres://x@y/z")
	f.Add("-1", "no", "s3", "", "x", "json", "0s", "")
	f.Fuzz(func(t *testing.T, n, b, sse, ret, days, level, dur, url string) {
		env := map[string]string{
			"WINNOW_MINIO_ACCESS_KEY": "a", "WINNOW_MINIO_SECRET_KEY": "b",
			"WINNOW_REDIS_DB": n, "WINNOW_MINIO_SECURE": b, "WINNOW_MINIO_SSE": sse, "WINNOW_MINIO_SSEC_KEY": n + b,
			"WINNOW_MINIO_RETENTION": ret, "WINNOW_MINIO_RETENTION_DAYS": days, "WINNOW_LOG_LEVEL": level,
			"WINNOW_WORKER_LEASE": dur, "WINNOW_PG_URL": url, "WINNOW_MINIO_PART_SIZE_MIB": days, "WINNOW_MAX_UPLOAD_MIB": n,
			"WINNOW_ARCHIVE_MAX_GIB": days, "WINNOW_ARCHIVE_MAX_RATIO": n, "WINNOW_ARCHIVE_MAX_DEPTH": n,
		}
		get := func(k string) string { return env[k] }
		if c, err := ReadServeConfig(get); err == nil {
			if err := c.MinIO.Validate(); err != nil {
				t.Fatalf("accepted an invalid MinIO config: %v", err)
			}
			if c.MaxUploadBytes <= 0 {
				t.Fatalf("MaxUploadBytes %d", c.MaxUploadBytes)
			}
		}
		if c, err := ReadWorkerConfig(get, 2); err == nil && (c.Lease <= 0 || c.Concurrency <= 0 ||
			c.Archive.MaxDepth < 1 || c.Archive.MaxTotalBytes <= 0 || c.Archive.MaxRatio < 1) {
			t.Fatalf("accepted %+v", c)
		}
	})
}
