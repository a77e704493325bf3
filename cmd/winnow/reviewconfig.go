package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
)

const reviewEnvHelp = `  WINNOW_REVIEW_VOTES        agreeing votes that confirm an item (CAID: 3) [1]
  WINNOW_REVIEW_SCHEME       category scheme reviewers decide in: vic-us (keys 0-4), vic-dhs (1-5), caid (A/B/C) [vic-us]
  WINNOW_REVIEW_WEIGHTS      priority weights, e.g. camera_original=3,gps=3,series_size=2,recurrence=2,image_size=1,recency=1
  WINNOW_REVIEW_RECENCY_HALF_LIFE age at which a capture date counts half [17520h] (2 years)
  WINNOW_REVIEW_LOCAL_SET    hash set confirmed content is promoted into [winnow-local]
  WINNOW_REVIEW_LEASE        how long a claim on a group lasts without a heartbeat [10m]
  WINNOW_SESSION_IDLE        browser sessions end after this long unused [30m]
  WINNOW_SESSION_MAX         and this long after login in any case [12h]
  WINNOW_INSECURE_COOKIES    true drops the cookie's Secure flag, for plain HTTP on a non-loopback address [false]
`

// readReviewConfig reads the review queue's configuration.
func readReviewConfig(r *envReader) api.ReviewConfig {
	c := api.ReviewConfig{
		RequiredVotes:   r.int("WINNOW_REVIEW_VOTES", 1, 1, 9),
		LocalSet:        r.str("WINNOW_REVIEW_LOCAL_SET", "winnow-local"),
		Lease:           r.duration("WINNOW_REVIEW_LEASE", 10*time.Minute),
		SessionIdle:     r.duration("WINNOW_SESSION_IDLE", 30*time.Minute),
		SessionMax:      r.duration("WINNOW_SESSION_MAX", 12*time.Hour),
		InsecureCookies: r.bool("WINNOW_INSECURE_COOKIES", false),
	}
	if err := triage.ValidateName("hash set", c.LocalSet); err != nil {
		r.errs = append(r.errs, "WINNOW_REVIEW_LOCAL_SET: "+triage.ErrorMessage(err))
	}
	scheme := r.str("WINNOW_REVIEW_SCHEME", triage.SchemeVICUS)
	keys, err := triage.DefaultCategoryKeys(scheme)
	if err != nil {
		r.errs = append(r.errs, "WINNOW_REVIEW_SCHEME: "+triage.ErrorMessage(err))
	}
	c.Keys = keys
	w := triage.DefaultPriorityWeights()
	if v := strings.TrimSpace(r.get("WINNOW_REVIEW_RECENCY_HALF_LIFE")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour || d > 100*365*24*time.Hour {
			r.errs = append(r.errs, fmt.Sprintf("WINNOW_REVIEW_RECENCY_HALF_LIFE=%q: want a duration from 1h to 100 years, e.g. 8760h for one year", v))
		} else {
			w.RecencyHalfLife = d
		}
	}
	if v := strings.TrimSpace(r.get("WINNOW_REVIEW_WEIGHTS")); v != "" {
		if err := parseWeights(v, &w); err != nil {
			r.errs = append(r.errs, "WINNOW_REVIEW_WEIGHTS: "+err.Error())
		}
	}
	c.Weights = &w
	return c
}

// parseWeights reads NAME=NUMBER pairs into w.
func parseWeights(s string, w *triage.PriorityWeights) error {
	fields := map[string]*float64{"camera_original": &w.CameraOriginal, "gps": &w.GPS, "series_size": &w.SeriesSize,
		"recurrence": &w.Recurrence, "image_size": &w.ImageSize, "recency": &w.Recency}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		dst, known := fields[strings.TrimSpace(k)]
		if !ok || !known {
			return fmt.Errorf("%q: want NAME=NUMBER with NAME one of camera_original, gps, series_size, recurrence, image_size, recency", kv)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return fmt.Errorf("%q: %q is not a number", kv, v)
		}
		*dst = f
	}
	return w.Validate()
}
