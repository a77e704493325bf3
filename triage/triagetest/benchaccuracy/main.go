// Command benchaccuracy runs Winnow's matching-accuracy benchmark (package
// accuracy) and prints the recall table: `make bench-accuracy`.
//
// It uses generated scenes, Meta's PDQ reference photos when
// ../shared/data is present, and wallpapers and sample images from Debian
// packages, which it downloads with apt-get into .cache/ the first time
// (-debian=false runs without them). The output says which data it ran on.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/triagetest/accuracy"
)

func main() {
	generated := flag.Int("generated", 400, "number of generated scenes")
	framed := flag.Int("framed", 120, "number of generated scenes in a plain frame or on a plain canvas")
	refDir := flag.String("reference", "../shared/data/pdq-reference/images", "folder of Meta's PDQ reference images (skipped if missing)")
	debian := flag.Bool("debian", true, "use wallpapers and sample images from Debian packages (apt-get download)")
	cache := flag.String("cache", ".cache/bench-accuracy", "where Debian packages are downloaded and extracted")
	verbose := flag.Bool("v", false, "list every false match, the dropped duplicates and genuine distance percentiles")
	reuse := flag.String("reuse", "", "evaluate the fingerprints saved in this file instead of hashing (written by -save)")
	save := flag.String("save", "", "save every fingerprint to this file, for -reuse")
	edits := flag.String("edits", "", "comma-separated names of the edits to run (default all), e.g. 'crop 10%,banner'")
	flag.Parse()
	saveFile, reuseFile = *save, *reuse
	transforms = accuracy.Transforms()
	if *edits != "" {
		var err error
		if transforms, err = accuracy.Select(transforms, strings.Split(*edits, ",")); err != nil {
			fmt.Fprintln(os.Stderr, "benchaccuracy: -edits:", err)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *generated, *framed, *refDir, *debian, *cache, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "benchaccuracy:", err)
		os.Exit(1)
	}
}

var saveFile, reuseFile string

// transforms are the edits run: all, or those -edits names.
var transforms []accuracy.Transform

// Originals this close to an earlier one are versions of it (see
// accuracy.Dedup).
const dupPDQ, dupPHash = 80, 12

func run(ctx context.Context, generated, framed int, refDir string, debian bool, cache string, verbose bool) error {
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	t0 := time.Now()
	if reuseFile != "" {
		res, err := accuracy.Load(reuseFile, accuracy.Transforms())
		if err != nil {
			return err
		}
		return report(res, nil, verbose, 0)
	}
	var all []accuracy.Original
	gen, err := accuracy.Generated(generated, 1, 1024)
	if err != nil {
		return err
	}
	all = append(all, gen...)
	fr, err := accuracy.Framed(framed, 1_000_000, 1024)
	if err != nil {
		return err
	}
	all = append(all, fr...)
	ref, err := accuracy.Reference(refDir)
	if err != nil {
		return err
	}
	if len(ref) == 0 {
		logf("reference images: none found in %s", refDir)
	}
	all = append(all, ref...)
	var pkgs []string
	if debian {
		pkgs = accuracy.FetchDebian(ctx, cache, accuracy.DebianPackages, logf)
		deb, err := accuracy.Debian(cache, pkgs)
		if err != nil {
			return err
		}
		all = append(all, deb...)
	}
	kept, dropped := accuracy.Dedup(ctx, all, dupPDQ, dupPHash)
	counts := map[string]int{}
	for _, o := range kept {
		counts[strings.SplitN(o.Source, ":", 2)[0]]++
	}
	logf("originals: %d (%d generated, %d framed or on a canvas, %d reference, %d from %d Debian packages); %d dropped (PDQ quality under 50, or a version of another); prepared in %s",
		len(kept), counts["generated"], counts["framed"], counts["reference"], counts["debian"], len(pkgs), len(dropped), time.Since(t0).Round(time.Second))
	if verbose {
		for _, d := range dropped {
			logf("  dropped %s", d)
		}
	}
	h := hashing.New(hashing.Options{Algos: triage.AlgosMatch, Views: true, Keypoints: keypoint.Query})
	t1 := time.Now()
	last := time.Now()
	res, err := accuracy.Run(ctx, kept, transforms, h, func(done, total int) {
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			logf("hashed %d of %d files", done, total)
		}
	})
	if err != nil {
		return err
	}
	hashTime := time.Since(t1)
	if saveFile != "" {
		if err := res.Save(saveFile); err != nil {
			return err
		}
	}
	return report(res, pkgs, verbose, hashTime)
}

// report evaluates every configuration on res and prints the table.
func report(res *accuracy.Result, pkgs []string, verbose bool, hashTime time.Duration) error {
	counts := map[string]int{}
	for _, o := range res.Originals {
		counts[strings.SplitN(o.Source, ":", 2)[0]]++
	}
	kept := res.Originals
	if pkgs == nil {
		seen := map[string]bool{}
		for _, o := range res.Originals {
			if p, ok := strings.CutPrefix(o.Source, "debian:"); ok && !seen[p] {
				seen[p] = true
				pkgs = append(pkgs, p)
			}
		}
	}
	var evals []accuracy.Eval
	for _, c := range accuracy.Configs() {
		evals = append(evals, res.Evaluate(c))
	}
	if verbose {
		// What pHash matches on their own add to the default rules.
		r := matching.DefaultRules()
		r.Default.PHash.Radius = -1
		e := res.Evaluate(accuracy.Config{Name: "default, no pHash alone", Rules: r})
		// What the PDQ distance a lone pHash match needs (PHashSupport) costs.
		var sweep []accuracy.Eval
		for _, sup := range []int{0, 104, 96, 88, 84, 80, 76, 72, 64} {
			r := matching.DefaultRules()
			r.Default.PHashSupport = sup
			sweep = append(sweep, res.Evaluate(accuracy.Config{Name: fmt.Sprintf("support %d", sup), Rules: r}))
		}
		defer func() {
			fmt.Printf("\nwithout pHash matches on their own (default rules, pHash radius -1):\n")
			accuracy.WriteTable(os.Stdout, res, []accuracy.Eval{evals[len(evals)-1], e})
			fmt.Printf("\nthe PDQ distance a lone pHash match needs (phash_support):\n")
			accuracy.WriteTable(os.Stdout, res, sweep)
		}()
	}
	inSet := 0
	for _, e := range res.Entry {
		if e >= 0 {
			inSet++
		}
	}
	dec := "pure Go decoders"
	if res.FastJPEG {
		dec = "libjpeg-turbo fast JPEG path"
	}
	fmt.Printf("Winnow accuracy benchmark, %s, %s/%s, %d CPUs, %s\n", time.Now().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), dec)
	from := strings.Join(pkgs, ", ")
	if from == "" {
		from = "no package"
	}
	hashed := fmt.Sprintf("hashed in %s", hashTime.Round(time.Second))
	if hashTime == 0 {
		hashed = "fingerprints reused from " + reuseFile
	}
	fmt.Printf("dataset: %d originals (%d generated, %d generated in a plain frame or on a plain canvas, %d reference photos, %d Debian wallpapers/sample images from %s): %d in the set, %d distractors; %d files %s\n\n",
		len(kept), counts["generated"], counts["framed"], counts["reference"], counts["debian"], from, inSet, len(kept)-inSet, len(res.Queries), hashed)
	accuracy.WriteTable(os.Stdout, res, evals)
	fmt.Printf("\nby kind of picture (%s):\n\n", evals[len(evals)-1].Config.Name)
	accuracy.WriteKinds(os.Stdout, res, &evals[len(evals)-1])
	def := matching.DefaultSetRules()
	mg := res.Margins(def)
	fmt.Printf("\nimpostor pairs (query vs. a set entry that is not its original), default rules' query variants: %d\n", mg.Pairs)
	fmt.Printf("closest PDQ: %d (%s)\nclosest pHash: %d (%s)\n", mg.MinPDQ, mg.MinPDQPair, mg.MinPHash, mg.MinPHashPair)
	fmt.Printf("closest PDQ among pairs with pHash <= %d: %d; closest pHash among pairs with PDQ <= %d: %d\n",
		mg.PHashZone, mg.MinPDQInPHashZone, mg.PDQZone, mg.MinPHashInPDQZone)
	km := res.KeypointMargins(def)
	fmt.Printf("keypoints: most features of an impostor pair that fit one similarity: %d of the %d a match needs, over %d pairs (%s)\n",
		km.MaxInliers, km.Need, km.Pairs, km.MaxPair)
	for _, c := range km.Closest {
		fmt.Printf("  %d: %s ~ %s\n", c.Inliers, c.Query, c.Entry)
	}
	for _, e := range evals {
		if len(e.False) > 0 {
			fmt.Printf("\nfalse matches under %q: %d\n", e.Config.Name, len(e.False))
			for i, f := range e.False {
				if i == 10 && !verbose {
					fmt.Printf("  ... (-v lists all)\n")
					break
				}
				fmt.Printf("  %s ~ %s: %s %d (borderline %v) -> %s\n", f.Query, f.Entry, f.Algo, f.Distance, f.Borderline, f.Verdict)
			}
		}
	}
	if verbose {
		pdq, ph := res.Genuine(def)
		fmt.Printf("\ngenuine distances (own entry), percentiles 50/90/95/98/100, default variants:\n")
		names := []string{}
		for _, t := range res.Transforms {
			names = append(names, t.Name)
		}
		names = append(names, "original file")
		for t, n := range names {
			p := func(v []int) string {
				return fmt.Sprintf("%d/%d/%d/%d/%d", accuracy.Percentile(v, 50), accuracy.Percentile(v, 90), accuracy.Percentile(v, 95), accuracy.Percentile(v, 98), accuracy.Percentile(v, 100))
			}
			fmt.Printf("  %-18s pdq %-20s phash %s\n", n, p(pdq[t]), p(ph[t]))
		}
	}
	return nil
}
