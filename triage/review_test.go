package triage

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func vote(id int64, name, cat string, f ReviewFlags, tags ...string) Vote {
	return Vote{ReviewerID: id, Reviewer: name, Category: MustParseCategory(cat), Flags: f, Tags: tags,
		At: time.Date(2026, 1, 2, 3, 4, int(id), 0, time.UTC)}
}

func TestVoteValidate(t *testing.T) {
	ok := vote(1, "ann", "vic-us:1", ReviewFlags{}, "tag")
	for _, tc := range []struct {
		name   string
		mutate func(v *Vote)
		scheme string
		bad    bool
	}{
		{"fine", func(v *Vote) {}, "vic-us", false},
		{"no category", func(v *Vote) { v.Category = Category{} }, "vic-us", true},
		{"other scheme", func(v *Vote) {}, "caid", true},
		{"any scheme", func(v *Vote) {}, "", false},
		{"long series", func(v *Vote) { v.Series = string(make([]byte, MaxSeriesLen+1)) }, "", true},
		{"comma in tag", func(v *Vote) { v.Tags = []string{"a,b"} }, "", true},
		{"empty tag", func(v *Vote) { v.Tags = []string{""} }, "", true},
		{"bad utf-8", func(v *Vote) { v.Notes = "\xff" }, "", true},
	} {
		v := ok
		tc.mutate(&v)
		if err := v.Validate(tc.scheme); (err != nil) != tc.bad {
			t.Errorf("%s: err %v, want bad=%v", tc.name, err, tc.bad)
		}
	}
}

func TestScore(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	w := DefaultPriorityWeights()
	plain := w.Score(PriorityFeatures{Members: 1, Exhibits: 1, Cases: 1, MaxPixels: 640 * 480}, now)
	rich := w.Score(PriorityFeatures{CameraOriginal: 2, GPS: 1, Members: 4, Exhibits: 3, Cases: 2, MaxPixels: 12e6,
		NewestCapture: now.Add(-w.RecencyHalfLife)}, now)
	if plain.Total >= rich.Total {
		t.Errorf("plain %v >= rich %v", plain.Total, rich.Total)
	}
	points := map[string]float64{}
	for _, c := range rich.Components {
		points[c.Name] = c.Points
		if c.Why == "" {
			t.Errorf("%s: no explanation", c.Name)
		}
	}
	want := map[string]float64{"camera_original": 3, "gps": 3, "series_size": 1.5, "recurrence": 1.6, "image_size": 1, "recency": 0.5}
	if diff := cmp.Diff(want, points); diff != "" {
		t.Errorf("points (-want +got):\n%s", diff)
	}
	if rich.Total != 10.6 {
		t.Errorf("total %v, want 10.6", rich.Total)
	}
	// A weight of 0 turns a component off.
	w.GPS = 0
	if got := w.Score(PriorityFeatures{GPS: 1, Members: 1}, now).Total; got != 0 {
		t.Errorf("GPS weight 0: total %v", got)
	}
	if err := (PriorityWeights{GPS: -1}).Validate(); err == nil {
		t.Errorf("negative weight accepted")
	}
}

func TestEXIFFeatures(t *testing.T) {
	for _, tc := range []struct {
		exif        map[string]string
		camera, gps bool
		captured    time.Time
	}{
		{nil, false, false, time.Time{}},
		{map[string]string{"Make": "Cam", "Model": "M1", "DateTimeOriginal": "2024:05:06 07:08:09"}, true, false, time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{map[string]string{"Make": "Cam", "Model": "M1", "Software": "Editor 2"}, false, false, time.Time{}},
		{map[string]string{"GPSLatitude": "51.5", "GPSLongitude": "-0.12", "CreateDate": "2020:01:01 00:00:00"}, false, true, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{map[string]string{"DateTimeOriginal": "garbage"}, false, false, time.Time{}},
	} {
		c, g, at := EXIFFeatures(tc.exif)
		if c != tc.camera || g != tc.gps || !at.Equal(tc.captured) {
			t.Errorf("%v: camera %v gps %v captured %v", tc.exif, c, g, at)
		}
	}
}

func TestDefaultCategoryKeys(t *testing.T) {
	for _, tc := range []struct {
		scheme string
		want   map[string]string
	}{
		{"vic-us", map[string]string{"0": "0", "1": "1", "2": "2", "3": "3", "4": "4"}},
		{"vic-dhs", map[string]string{"1": "1", "2": "2", "3": "3", "4": "4", "5": "5"}},
		{"caid", map[string]string{"A": "A", "B": "B", "C": "C", "N": "non-indecent", "I": "ignorable"}},
	} {
		k, err := DefaultCategoryKeys(tc.scheme)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, k.Keys); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.scheme, diff)
		}
	}
	if _, err := DefaultCategoryKeys("nope"); err == nil {
		t.Errorf("unknown scheme accepted")
	}
	if _, err := DefaultCategoryKeys("industry"); err == nil {
		t.Errorf("scheme without one-character codes accepted")
	}
}

func TestBreakDue(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	w := DefaultWellnessSettings()
	for _, tc := range []struct {
		e    Exposure
		want bool
	}{
		{Exposure{SinceBreak: 49, LastBreak: now.Add(-time.Minute)}, false},
		{Exposure{SinceBreak: 50, LastBreak: now.Add(-time.Minute)}, true},
		{Exposure{SinceBreak: 3, LastBreak: now.Add(-46 * time.Minute)}, true},
		{Exposure{SinceBreak: 0, LastBreak: now.Add(-46 * time.Minute)}, false},
	} {
		if got := w.BreakDue(tc.e, now); got != tc.want {
			t.Errorf("%+v: BreakDue %v, want %v", tc.e, got, tc.want)
		}
	}
	bad := w
	bad.RevealMode = "peek"
	if bad.Validate() == nil {
		t.Errorf("reveal mode peek accepted")
	}
}

func TestDeviceKey(t *testing.T) {
	for _, tc := range []struct {
		exif map[string]string
		want string
	}{
		{map[string]string{"Make": "Canon", "Model": "EOS 5D", "SerialNumber": " 0123456789 "}, "serial:canon/0123456789"},
		{map[string]string{"Make": "Canon", "InternalSerialNumber": "ZA1234"}, "serial:canon/za1234"},
		{map[string]string{"Make": "Canon", "SerialNumber": "0000000000", "Model": "EOS 5D"}, ""}, // a blank serial names no body
		{map[string]string{"Make": "Apple", "Model": "iPhone 12", "Software": "17.1.2"}, "model:apple/iphone 12/17.1.2"},
		{map[string]string{"Make": "Apple", "Model": "iPhone  12"}, ""}, // make and model alone are shared by millions
		{nil, ""},
	} {
		if got := DeviceKey(tc.exif); got != tc.want {
			t.Errorf("DeviceKey(%v) = %q, want %q", tc.exif, got, tc.want)
		}
	}
}
