//go:build ignore

// Command worldmap turns Natural Earth's 1:110m land polygons (public
// domain, naturalearthdata.com; ne_110m_land.geojson) into the review UI's
// embedded world map, api/ui/static/world.js: each ring simplified
// (Douglas-Peucker, 0.3 degrees), in tenths of a degree, delta-encoded.
//
//	go run scripts/worldmap/main.go ne_110m_land.geojson > api/ui/static/world.js
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
)

type pt [2]float64

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var fc struct {
		Features []struct {
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var rings [][]pt
	for _, f := range fc.Features {
		switch f.Geometry.Type {
		case "Polygon":
			var p [][]pt
			json.Unmarshal(f.Geometry.Coordinates, &p)
			rings = append(rings, p...)
		case "MultiPolygon":
			var mp [][][]pt
			json.Unmarshal(f.Geometry.Coordinates, &mp)
			for _, p := range mp {
				rings = append(rings, p...)
			}
		}
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintln(w, "// Land outlines of the world, from Natural Earth 1:110m physical vectors")
	fmt.Fprintln(w, "// (public domain; made with Natural Earth, naturalearthdata.com), simplified")
	fmt.Fprintln(w, "// by scripts/worldmap: rings of [lon, lat] in tenths of a degree, the first")
	fmt.Fprintln(w, "// point absolute and the rest as differences. Generated: do not edit.")
	fmt.Fprint(w, "export const LAND = [")
	n := 0
	for _, r := range rings {
		s := simplify(r, 0.3)
		if len(s) < 4 {
			continue
		}
		if n > 0 {
			fmt.Fprint(w, ",")
		}
		n++
		fmt.Fprint(w, "\n[")
		var px, py int
		for i, p := range s {
			x, y := int(math.Round(p[0]*10)), int(math.Round(p[1]*10))
			if i > 0 {
				fmt.Fprint(w, ",")
				fmt.Fprintf(w, "%d,%d", x-px, y-py)
			} else {
				fmt.Fprintf(w, "%d,%d", x, y)
			}
			px, py = x, y
		}
		fmt.Fprint(w, "]")
	}
	fmt.Fprintln(w, "\n];")
}

// simplify is Douglas-Peucker with tolerance eps (degrees).
func simplify(r []pt, eps float64) []pt {
	if len(r) < 3 {
		return r
	}
	keep := make([]bool, len(r))
	keep[0], keep[len(r)-1] = true, true
	var rec func(a, b int)
	rec = func(a, b int) {
		best, at := 0.0, -1
		for i := a + 1; i < b; i++ {
			if d := dist(r[i], r[a], r[b]); d > best {
				best, at = d, i
			}
		}
		if at >= 0 && best > eps {
			keep[at] = true
			rec(a, at)
			rec(at, b)
		}
	}
	rec(0, len(r)-1)
	var out []pt
	for i, k := range keep {
		if k {
			out = append(out, r[i])
		}
	}
	return out
}

func dist(p, a, b pt) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	if dx == 0 && dy == 0 {
		return math.Hypot(p[0]-a[0], p[1]-a[1])
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}
