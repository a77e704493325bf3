package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/formats/rds3"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/pipeline"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

const hashsetDescription = `
Work with compiled hash sets, the files Winnow matches against.

  winnow hashset build --out FILE [flags] INPUT...   compile hash-set files and media folders
  winnow hashset info [--json] FILE                  counts per algorithm and category
  winnow hashset export [flags] FILE                 write a set as VICS 2.0, a plain list or CSV
  winnow hashset push --server URL --token T FILE    load a set into a running lab service
  winnow hashset list --server URL --token T         the sets of a lab service, and any that do not load

Run "winnow hashset SUBCOMMAND -h" for the flags of each.`

func runHashset(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(e.stderr, "Usage: winnow hashset SUBCOMMAND [flags] [arguments]\n%s\n", hashsetDescription)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "build":
		return runHashsetBuild(ctx, e, args[1:])
	case "info":
		return runHashsetInfo(ctx, e, args[1:])
	case "export":
		return runHashsetExport(ctx, e, args[1:])
	case "push":
		return runHashsetPush(ctx, e, args[1:])
	case "list":
		return runHashsetList(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "winnow hashset: unknown subcommand %q\n%s\n", args[0], hashsetDescription)
	return errUsage
}

const hashsetBuildDescription = `
Compile one hash set from INPUTs. An INPUT is a hash-set file in any
supported format (detected from its content, or --format), a zip holding
one (NSRL RDS 2.x), an NSRL RDS v3 SQLite database, or a folder of media,
which is hashed (MD5, SHA-1, SHA-256, PDQ, pHash) so that a lab can turn
reviewed material into a set.

Formats: %s.

A malformed record is reported with its file and line or record number
and skipped; the build goes on and ends with counts of records read,
imported, duplicate and rejected. Exact duplicate records are merged.
Categories are (scheme, code) pairs, written SCHEME:CODE (schemes: %s;
more with --schemes FILE). --category applies to entries that have no
category of their own (media folders, plain lists).

Each entry's kind decides what a match on it means: "alert" (known
material: verdict known or variant) or "known-good" (verdict ignorable).
It comes from the entry's source: NSRL records, EnCase "Known" and
HashKeeper non-notable sets, and entries with an ignorable category
(vic-us:0, caid:ignorable) are known-good; everything else is alert. So
an NSRL list compiled with a VICS or NCMEC file stays known-good entry by
entry (the set is then "mixed"). --kind forces one kind on every entry.`

func runHashsetBuild(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "hashset build", "--out FILE [flags] INPUT...",
		fmt.Sprintf(hashsetBuildDescription, formatNames(), strings.Join(triage.SchemeNames(), ", ")))
	out := fs.String("out", "", "the compiled set to write (required)")
	name := fs.String("name", "", "set name (default: from the input, else the output file name)")
	version := fs.String("version", "", "set version (default: the build date)")
	kind := fs.String("kind", "", "alert or known-good for every entry (default: each entry's source decides)")
	category := fs.String("category", "", "SCHEME:CODE for entries without a category")
	format := fs.String("format", "", "force the input format instead of detecting it")
	algo := fs.String("algo", "", "hash type of an ambiguous plain list (64 hex digits: sha256 or pdq)")
	scheme := fs.String("scheme", "", "category scheme for integer categories (default: from the file's profile)")
	schemesFile := fs.String("schemes", "", "JSON file of custom category schemes")
	assumeQuality := fs.Int("assume-pdq-quality", 0, "quality (1-100) for PDQ hashes whose source records none, e.g. the legacy pdq-photo-hasher output (0: unknown; the matcher matches unknown-quality hashes)")
	pdqRadius := fs.Int("pdq-radius", 0, "PDQ match radius for this set (0: the matcher's default, 31)")
	phashRadius := fs.Int("phash-radius", 0, "pHash match radius for this set (0: the matcher's default)")
	description := fs.String("description", "", "free-text description stored in the set")
	showErrors := fs.Int("show-errors", 20, "rejected records to print per input (the rest are counted)")
	inputs, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(inputs) == 0 {
		fmt.Fprintln(e.stderr, "winnow hashset build: need --out and at least one INPUT")
		fs.Usage()
		return errUsage
	}
	if *schemesFile != "" {
		if err := loadSchemes(*schemesFile); err != nil {
			return &exitError{2, err}
		}
	}
	opt := formats.Options{Scheme: *scheme, AssumePDQQuality: *assumeQuality}
	if *format != "" {
		if opt.Format, err = formats.ParseFormat(*format); err != nil {
			return &exitError{2, err}
		}
	}
	if *algo != "" {
		set, err := triage.ParseAlgoSet(*algo)
		if err != nil {
			return &exitError{2, err}
		}
		opt.Algo = triage.Algo(set)
	}
	if *scheme != "" {
		if _, ok := triage.LookupScheme(*scheme); !ok {
			return &exitError{2, fmt.Errorf("unknown category scheme %q (known: %s)", *scheme, strings.Join(triage.SchemeNames(), ", "))}
		}
	}
	var defCat triage.Category
	if *category != "" {
		if defCat, err = triage.ParseCategory(*category); err != nil {
			return &exitError{2, err}
		}
	}
	var setKind triage.SetKind
	if *kind != "" {
		if setKind, err = triage.ParseSetKind(*kind); err != nil {
			return &exitError{2, fmt.Errorf("--kind: %w", err)}
		}
	}

	start := time.Now()
	b := setfile.NewBuilder(triage.SetMeta{
		Name: *name, Version: *version, Kind: triage.SetKindAlert, Description: *description,
		Created: time.Now().UTC().Truncate(time.Second), PDQRadius: *pdqRadius, PHashRadius: *phashRadius,
	})
	if setKind != "" {
		b.Meta.Kind = setKind
	}
	for _, in := range inputs {
		src, err := importInput(ctx, e, b, in, opt, defCat, setKind, *showErrors)
		if err != nil {
			return err
		}
		b.Meta.Sources = append(b.Meta.Sources, src)
		b.Meta.Stats.Read += src.Stats.Read
		b.Meta.Stats.Imported += src.Stats.Imported
		b.Meta.Stats.Duplicate += src.Stats.Duplicate
		b.Meta.Stats.Rejected += src.Stats.Rejected
		if b.Meta.Name == "" && src.Meta["name"] != "" {
			b.Meta.Name = src.Meta["name"]
		}
		fmt.Fprintf(e.stderr, "%s (%s): %s\n", in, src.Format, src.Stats)
		if ctx.Err() != nil {
			return &exitError{130, fmt.Errorf("interrupted; %s not written", *out)}
		}
	}
	if b.Meta.Name == "" {
		b.Meta.Name = strings.TrimSuffix(filepath.Base(*out), filepath.Ext(*out))
	}
	if b.Meta.Version == "" {
		b.Meta.Version = b.Meta.Created.Format("2006-01-02")
	}
	if b.Len() == 0 {
		return fmt.Errorf("no entries imported; %s not written", *out)
	}
	if err := b.WriteFile(*out); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s: set %q version %q (%s), %d entries; %s; %.2f s\n",
		*out, b.Meta.Name, b.Meta.Version, b.Kind(), b.Len(), b.Meta.Stats, time.Since(start).Seconds())
	return nil
}

func formatNames() string {
	var s []string
	for _, f := range formats.Formats() {
		s = append(s, string(f))
	}
	return strings.Join(append(s, string(formats.NSRL3)), ", ")
}

func loadSchemes(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--schemes: %w", err)
	}
	defer f.Close()
	_, err = triage.LoadSchemes(f)
	return err
}

// importInput adds one INPUT to the builder: a media folder or a hash-set
// file. kind, when set, is the kind of every entry; else each entry's
// source decides (setfile.Builder.Add).
func importInput(ctx context.Context, e *env, b *setfile.Builder, in string, opt formats.Options, defCat triage.Category, kind triage.SetKind, showErrors int) (triage.SetSource, error) {
	fi, err := os.Stat(in)
	if err != nil {
		return triage.SetSource{}, fmt.Errorf("cannot read %s: %w", in, triage.UnwrapPath(err))
	}
	if fi.IsDir() {
		return importMedia(ctx, e, b, in, defCat, kind, showErrors)
	}
	var src formats.Source
	if opt.Format == formats.NSRL3 || opt.Format == "" && isSQLite(in) {
		src, err = rds3.Open(in, opt)
	} else {
		src, err = formats.Open(in, opt)
	}
	if err != nil {
		return triage.SetSource{}, fmt.Errorf("%s: %w", in, err)
	}
	defer src.Close()
	rec := triage.SetSource{Path: in, Format: string(src.Format())}
	shown, deletions := 0, 0
	for {
		if ctx.Err() != nil {
			return rec, nil
		}
		ent, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !triage.IsRecordError(err) {
				return rec, fmt.Errorf("%s: %w", in, err)
			}
			rec.Stats.Read++
			rec.Stats.Rejected++
			if shown < showErrors {
				fmt.Fprintf(e.stderr, "%s: %v (skipped)\n", in, err)
				shown++
			}
			continue
		}
		rec.Stats.Read++
		if formats.IsDeletion(&ent) {
			// A source's tombstone (NCMEC deletedImage, StopNCII withdrawn):
			// a fresh build has nothing to remove, so it is only counted.
			deletions++
			continue
		}
		if ent.Category.IsZero() {
			ent.Category = defCat
		}
		if kind != "" {
			ent.Kind = kind
		}
		added, err := b.Add(ent)
		switch {
		case err != nil:
			rec.Stats.Rejected++
			if shown < showErrors {
				fmt.Fprintf(e.stderr, "%s: record %d: %v (skipped)\n", in, ent.Pos, triage.ErrorMessage(err))
				shown++
			}
		case added:
			rec.Stats.Imported++
		default:
			rec.Stats.Duplicate++
		}
	}
	if rec.Stats.Rejected > int64(shown) {
		fmt.Fprintf(e.stderr, "%s: %d more rejected records not shown\n", in, rec.Stats.Rejected-int64(shown))
	}
	if deletions > 0 {
		fmt.Fprintf(e.stderr, "%s: %d deletion records (withdrawn hashes) skipped\n", in, deletions)
	}
	rec.Meta = src.Meta() // final only after the last record
	return rec, nil
}

func isSQLite(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	return string(head[:n]) == "SQLite format 3\x00"
}

// importMedia hashes every file under dir and adds one entry per file.
func importMedia(ctx context.Context, e *env, b *setfile.Builder, dir string, cat triage.Category, kind triage.SetKind, showErrors int) (triage.SetSource, error) {
	rec := triage.SetSource{Path: dir, Format: "media"}
	// Regions: each image's centre is indexed too, so that crops of it
	// match; keypoints, for crops and mirrored crops no region covers.
	h := hashing.New(hashing.Options{Algos: triage.AlgosCrypto | triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPHash|triage.AlgoVPDQ), Decoders: decoders, Regions: true, Keypoints: keypoint.Known})
	type result struct {
		rel string
		fp  triage.Fingerprint
	}
	// Collect, then add in path order so the set does not depend on timing.
	// Symbolic links and special files are not followed: they are
	// reported as skipped, like unreadable files.
	var rs []result
	pipeline.New(pipeline.Config{Hasher: h, Ordered: true}).Run(ctx, []string{dir}, func(r *pipeline.Result) {
		rel, _ := filepath.Rel(dir, r.Path)
		rs = append(rs, result{filepath.ToSlash(rel), r.Fingerprint})
	})
	sort.Slice(rs, func(i, j int) bool { return rs[i].rel < rs[j].rel })
	shown := 0
	for i, r := range rs {
		rec.Stats.Read++
		if r.fp.Size == 0 && r.fp.Err == nil {
			rec.Stats.Rejected++ // the empty file would match every empty file
			continue
		}
		ent := triage.NewEntry()
		ent.Pos = int64(i + 1)
		ent.Name = r.rel
		ent.Size = r.fp.Size
		ent.Category, ent.Kind = cat, kind
		ent.MD5, ent.SHA1, ent.SHA256 = r.fp.MD5, r.fp.SHA1, r.fp.SHA256
		ent.Algos = triage.AlgosCrypto
		if r.fp.Perceptual {
			ent.PDQ, ent.PDQQuality, ent.PHash, ent.Regions, ent.Keypoints = r.fp.PDQ, r.fp.PDQQuality, r.fp.PHash, r.fp.Regions, r.fp.Keypoints
			ent.Algos |= triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash)
		}
		if r.fp.Err != nil && r.fp.Type.MIME == "" {
			rec.Stats.Rejected++
			if shown < showErrors {
				fmt.Fprintf(e.stderr, "%s: %s: %s (skipped)\n", dir, r.rel, triage.ErrorMessage(r.fp.Err))
				shown++
			}
			continue
		}
		count := func(added bool, err error) {
			switch {
			case err != nil:
				rec.Stats.Rejected++
			case added:
				rec.Stats.Imported++
			default:
				rec.Stats.Duplicate++
			}
		}
		count(b.Add(ent))
		// A video also gets one entry per vPDQ frame, as a ThreatExchange
		// vPDQ file would give it: the matcher takes them as one video.
		for _, f := range r.fp.Frames {
			fe := triage.NewEntry()
			fe.Pos, fe.Name, fe.Category = ent.Pos, r.rel, cat
			fe.PDQ, fe.PDQQuality = f.PDQ, f.Quality
			fe.Algos = triage.AlgoSet(triage.AlgoPDQ | triage.AlgoVPDQ)
			fe.SetExtra("frame", strconv.Itoa(f.Frame))
			fe.SetExtra("timestamp", strconv.FormatFloat(f.Timestamp, 'f', 3, 64))
			count(b.Add(fe))
		}
	}
	return rec, nil
}

func runHashsetInfo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "hashset info", "[--json] FILE", "Show a compiled hash set's metadata and its entry counts per algorithm and per category.")
	asJSON := fs.Bool("json", false, "print one JSON object")
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return errUsage
	}
	s, err := setfile.ReadFile(files[0])
	if err != nil {
		return err
	}
	perAlgo := map[string]int{}
	for _, c := range []struct {
		name string
		n    int
	}{
		{"md5", len(first(s.MD5s()))}, {"sha1", len(first(s.SHA1s()))}, {"sha256", len(first(s.SHA256s()))},
		{"pdq", len(first(s.PDQs()))}, {"phash", len(first(s.PHashes()))},
	} {
		if c.n > 0 {
			perAlgo[c.name] = c.n
		}
	}
	perCat, perKind := map[string]int{}, map[string]int{}
	for i := 0; i < s.Len(); i++ {
		perKind[string(s.Kind(i))]++
		c := s.Category(i).String()
		if c == "" {
			c = "none"
		}
		perCat[c]++
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"name": s.Meta.Name, "version": s.Meta.Version, "kind": s.Meta.Kind, "created": s.Meta.Created,
			"entries": s.Len(), "kinds": perKind, "algorithms": perAlgo, "categories": perCat, "meta": s.Meta,
		})
	}
	w := e.stdout
	fmt.Fprintf(w, "set:      %s\nversion:  %s\nkind:     %s\ncreated:  %s\nentries:  %d\n", s.Meta.Name, s.Meta.Version, s.Meta.Kind, s.Meta.Created.Format(time.RFC3339), s.Len())
	if s.Meta.Description != "" {
		fmt.Fprintf(w, "about:    %s\n", s.Meta.Description)
	}
	if s.Meta.PDQRadius != 0 || s.Meta.PHashRadius != 0 {
		fmt.Fprintf(w, "radius:   pdq %d, phash %d (0 = matcher default)\n", s.Meta.PDQRadius, s.Meta.PHashRadius)
	}
	if s.Meta.Kind == triage.SetKindMixed {
		fmt.Fprintf(w, "kinds:\n")
		for _, k := range sortedKeys(perKind) {
			fmt.Fprintf(w, "  %-10s %d\n", k, perKind[k])
		}
	}
	fmt.Fprintf(w, "algorithms:\n")
	for _, k := range sortedKeys(perAlgo) {
		fmt.Fprintf(w, "  %-8s %d\n", k, perAlgo[k])
	}
	fmt.Fprintf(w, "categories:\n")
	for _, k := range sortedKeys(perCat) {
		label := ""
		if c, err := triage.ParseCategory(k); err == nil {
			label = "  " + c.Label()
		}
		fmt.Fprintf(w, "  %-14s %d%s\n", k, perCat[k], label)
	}
	fmt.Fprintf(w, "sources:\n")
	for _, src := range s.Meta.Sources {
		fmt.Fprintf(w, "  %s (%s): %s\n", src.Path, src.Format, src.Stats)
	}
	return nil
}

func first[A, B any](a A, _ B) A { return a }

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func runHashsetExport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "hashset export", "--format vics|plain|csv [flags] FILE", hashsetExportDescription)
	format := fs.String("format", "vics", "vics, plain or csv")
	algo := fs.String("algo", "md5", "with --format plain: the hash type to list")
	profile := fs.String("profile", "", "with --format vics: Default, US or UK (default: UK for CAID categories, else Default)")
	shape := fs.String("shape", "hashset", "with --format vics: hashset or case")
	var maps multiFlag
	fs.Var(&maps, "map", "with --format vics: convert a category, FROM=TO (industry:A1=vic-us:1, industry:*=vic-us:1, or =none to drop it); repeatable")
	out := fs.String("out", "", "write here instead of stdout")
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return errUsage
	}
	s, err := setfile.ReadFile(files[0])
	if err != nil {
		return err
	}
	var w io.Writer = e.stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	switch *format {
	case "vics":
		p := *profile
		if p == "" {
			p = vicsProfileFor(s)
		}
		cm := formats.NewCategoryMap()
		for _, m := range maps {
			if merr := cm.Add(m); merr != nil {
				return &exitError{2, fmt.Errorf("--map: %w", merr)}
			}
		}
		err = formats.WriteVICS(w, s.Entries, formats.VICSOptions{Shape: *shape, Profile: p, Map: cm})
		for _, line := range cm.Summary() {
			fmt.Fprintf(e.stderr, "categories: %s\n", line)
		}
	case "plain":
		set, perr := triage.ParseAlgoSet(*algo)
		if perr != nil {
			return &exitError{2, perr}
		}
		err = formats.WritePlain(w, s.Entries, triage.Algo(set))
	case "csv":
		err = formats.WriteCSV(w, s.Entries)
	default:
		return &exitError{2, fmt.Errorf("--format %q: want vics, plain or csv", *format)}
	}
	if err == nil && f != nil {
		err = f.Close()
	}
	if err != nil && f != nil {
		os.Remove(*out) // never leave half an export behind
	}
	return err
}

const hashsetExportDescription = `Write a compiled hash set in an interchange format: VICS 2.0 JSON
(hash-set or case shape), a plain list of one hash type, or CSV with
every field (kind included).

VICS profiles: Default (vic-us categories; the only profile IPED reads,
hashset shape), US (vic-us) and UK (caid). Categories of other schemes
are converted by --map, else by the built-in table (vic-dhs <-> vic-us
exactly; caid and industry -> vic-us:1, losing the severity); what was
converted, and what it lost, is printed. Known-good entries are written
with the profile's non-pertinent category, so they stay known-good when
read back. MediaIDs are unique. A plain list keeps only the hashes: read
it back with --kind known-good where it was known-good.`

// vicsProfileFor picks the VICS profile for the set's categories: UK when
// they are CAID's, else Default.
func vicsProfileFor(s *setfile.Set) string {
	for i := 0; i < s.Len(); i++ {
		switch s.Category(i).Scheme {
		case triage.SchemeCAID:
			return "UK"
		case triage.SchemeVICUS:
			return "Default"
		}
	}
	return "Default"
}
