package main

import (
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

func TestReadReviewConfig(t *testing.T) {
	for _, tc := range []struct {
		env map[string]string
		ok  bool
		chk func(t *testing.T, cfgVotes int, scheme string, w triage.PriorityWeights)
	}{
		{map[string]string{}, true, func(t *testing.T, v int, s string, w triage.PriorityWeights) {
			if v != 1 || s != "vic-us" || w != triage.DefaultPriorityWeights() {
				t.Errorf("defaults: %d %s %+v", v, s, w)
			}
		}},
		{map[string]string{"WINNOW_REVIEW_VOTES": "3", "WINNOW_REVIEW_SCHEME": "caid", "WINNOW_REVIEW_WEIGHTS": "gps=5, recency=0",
			"WINNOW_REVIEW_RECENCY_HALF_LIFE": "720h"}, true, func(t *testing.T, v int, s string, w triage.PriorityWeights) {
			if v != 3 || s != "caid" || w.GPS != 5 || w.Recency != 0 || w.CameraOriginal != 3 || w.RecencyHalfLife != 720*time.Hour {
				t.Errorf("CAID: %d %s %+v", v, s, w)
			}
		}},
		{map[string]string{"WINNOW_REVIEW_VOTES": "0"}, false, nil},
		{map[string]string{"WINNOW_REVIEW_SCHEME": "industry"}, false, nil}, // no one-key codes
		{map[string]string{"WINNOW_REVIEW_WEIGHTS": "gps"}, false, nil},
		{map[string]string{"WINNOW_REVIEW_WEIGHTS": "colour=1"}, false, nil},
		{map[string]string{"WINNOW_REVIEW_WEIGHTS": "gps=-1"}, false, nil},
		{map[string]string{"WINNOW_REVIEW_LOCAL_SET": "bad name!"}, false, nil},
	} {
		r := &envReader{get: func(k string) string { return tc.env[k] }}
		c := readReviewConfig(r)
		if err := r.err(); (err == nil) != tc.ok {
			t.Errorf("%v: err %v, want ok=%v", tc.env, err, tc.ok)
			continue
		}
		if tc.chk != nil {
			tc.chk(t, c.RequiredVotes, c.Keys.Scheme, *c.Weights)
		}
	}
}

// FuzzReadReviewConfig: whatever the environment says, an accepted
// configuration is usable.
func FuzzReadReviewConfig(f *testing.F) {
	f.Add("3", "caid", "gps=5,recency=0", "720h", "winnow-local")
	f.Add("x", "", "=,=", "-1s", "")
	f.Fuzz(func(t *testing.T, votes, scheme, weights, half, set string) {
		env := map[string]string{"WINNOW_REVIEW_VOTES": votes, "WINNOW_REVIEW_SCHEME": scheme, "WINNOW_REVIEW_WEIGHTS": weights,
			"WINNOW_REVIEW_RECENCY_HALF_LIFE": half, "WINNOW_REVIEW_LOCAL_SET": set}
		r := &envReader{get: func(k string) string { return env[k] }}
		c := readReviewConfig(r)
		if r.err() != nil {
			return
		}
		if c.RequiredVotes < 1 || c.Weights.Validate() != nil || triage.ValidateName("set", c.LocalSet) != nil || len(c.Keys.Keys) == 0 {
			t.Fatalf("accepted an unusable configuration %+v", c)
		}
	})
}
