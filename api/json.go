package api

import (
	"slices"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// ItemJSON is an item as the API shows it: hashes in lowercase hex.
type ItemJSON struct {
	ID          int64             `json:"id"`
	Case        string            `json:"case,omitempty"`
	Exhibit     string            `json:"exhibit,omitempty"`
	ParentID    int64             `json:"parent_id,omitempty"`
	Path        string            `json:"path"`
	InnerPath   string            `json:"inner_path,omitempty"`
	RawName     string            `json:"raw_name,omitempty"`
	Origin      *triage.Origin    `json:"origin,omitempty"`
	SubmitterID int64             `json:"submitter_id,omitempty"`
	ReceivedAt  time.Time         `json:"received_at"`
	Size        int64             `json:"size"`
	MD5         string            `json:"md5"`
	SHA1        string            `json:"sha1"`
	SHA256      string            `json:"sha256"`
	MIME        string            `json:"mime,omitempty"`
	Kind        string            `json:"kind,omitempty"`
	Width       int               `json:"width,omitempty"`
	Height      int               `json:"height,omitempty"`
	PDQ         string            `json:"pdq,omitempty"`
	PDQQuality  *int              `json:"pdq_quality,omitempty"`
	PHash       string            `json:"phash,omitempty"`
	DHash       string            `json:"dhash,omitempty"`
	EXIF        map[string]string `json:"exif,omitempty"`
	Thumbnail   bool              `json:"thumbnail"`
	State       triage.ItemState  `json:"state"`
	Verdict     triage.Verdict    `json:"verdict,omitempty"`
	Reason      string            `json:"verdict_reason,omitempty"`
	Category    string            `json:"category,omitempty"`
	ErrorCode   string            `json:"error_code,omitempty"`
	Error       string            `json:"error,omitempty"`
	Attempts    int               `json:"attempts"`
	FinishedAt  *time.Time        `json:"finished_at,omitempty"`
	Matches     []MatchJSON       `json:"matches,omitempty"`
	// AlsoKnownGood names the known-good sets that list a known or
	// variant item too, by an exact digest: the alert verdict stands, but
	// the conflict is the examiner's to resolve.
	AlsoKnownGood []string `json:"also_known_good,omitempty"`
	// UploadResult, on upload: "created" (content received and stored),
	// "stored" (new item for content the service already had, not sent
	// again) or "existing" (this item was already recorded).
	UploadResult string `json:"upload,omitempty"`
}

// MatchJSON is a stored match as the API shows it.
type MatchJSON struct {
	Set        string `json:"set"`
	SetVersion string `json:"set_version"`
	SetKind    string `json:"set_kind"`
	Entry      int    `json:"entry"`
	EntryID    string `json:"entry_id,omitempty"`
	Algo       string `json:"algorithm"`
	Distance   int    `json:"distance"`
	Dihedral   int    `json:"dihedral,omitempty"`
	Category   string `json:"category,omitempty"`
	Series     string `json:"series,omitempty"`
	// View is the derived view of the query that matched (trim, deskew...),
	// empty for the whole image; Borderline marks a match beyond the set's
	// radius that counts because another algorithm matched the same entry.
	View       string `json:"view,omitempty"`
	Borderline bool   `json:"borderline,omitempty"`
	// Timestamps: the seconds at which a known still appears in a video;
	// QueryPercent and TargetPercent: for a vPDQ video match, the shares
	// of the video's and the known video's frames that match.
	Timestamps    []float64 `json:"timestamps,omitempty"`
	QueryPercent  float64   `json:"query_percent,omitempty"`
	TargetPercent float64   `json:"target_percent,omitempty"`
}

func itemJSON(it *triage.Item) ItemJSON {
	j := ItemJSON{
		ID: it.ID, ParentID: it.ParentID, Path: it.Path, InnerPath: it.InnerPath, RawName: it.RawName, Origin: it.Origin, SubmitterID: it.SubmitterID,
		ReceivedAt: it.ReceivedAt, Size: it.Size, MD5: it.MD5.String(), SHA1: it.SHA1.String(), SHA256: it.SHA256.String(),
		MIME: it.MIME, Kind: it.Kind, Width: it.Width, Height: it.Height, EXIF: it.EXIF, Thumbnail: it.ThumbnailKey != "",
		State: it.State, Verdict: it.Verdict, Reason: it.Reason, Category: it.Category.String(),
		ErrorCode: it.ErrorCode, Error: it.Error, Attempts: it.Attempts,
	}
	if it.Perceptual {
		q := it.PDQQuality
		j.PDQ, j.PDQQuality, j.PHash, j.DHash = it.PDQ.String(), &q, it.PHash.String(), it.DHash.String()
	}
	if !it.FinishedAt.IsZero() {
		t := it.FinishedAt
		j.FinishedAt = &t
	}
	return j
}

// addMatches adds an item's stored matches, and the known-good sets that
// conflict with its alert verdict.
func (j *ItemJSON) addMatches(ms []triage.MatchRecord) {
	alert := j.Verdict == triage.VerdictKnown || j.Verdict == triage.VerdictVariant
	for _, m := range ms {
		j.Matches = append(j.Matches, matchJSON(m.Match))
		if alert && m.SetKind == triage.SetKindKnownGood && triage.AlgosCrypto.Has(m.Algo) && !slices.Contains(j.AlsoKnownGood, m.Set) {
			j.AlsoKnownGood = append(j.AlsoKnownGood, m.Set)
		}
	}
}

func matchJSON(m triage.Match) MatchJSON {
	return MatchJSON{Set: m.Set, SetVersion: m.SetVersion, SetKind: string(m.SetKind), Entry: m.Entry, EntryID: m.EntryID,
		Algo: m.Algo.String(), Distance: m.Distance, Dihedral: m.Dihedral, Category: m.Category.String(), Series: m.Series,
		View: string(m.View), Borderline: m.Borderline, Timestamps: m.Timestamps, QueryPercent: m.QueryPercent, TargetPercent: m.TargetPercent}
}

// SetJSON is a stored hash set as the API shows it.
type SetJSON struct {
	triage.StoredSet
	SHA256 string `json:"sha256"`
}

func setJSON(s triage.StoredSet) SetJSON { return SetJSON{StoredSet: s, SHA256: s.SHA256.String()} }

// TokenJSON is a new token; Secret is shown this once.
type TokenJSON struct {
	triage.Token
	User   string `json:"user"`
	Secret string `json:"secret"`
}

// EntryJSON is a hash-set entry added through the API.
type EntryJSON struct {
	MD5        string   `json:"md5,omitempty"`
	SHA1       string   `json:"sha1,omitempty"`
	SHA256     string   `json:"sha256,omitempty"`
	PDQ        string   `json:"pdq,omitempty"`
	PDQQuality *int     `json:"pdq_quality,omitempty"`
	PHash      string   `json:"phash,omitempty"`
	Name       string   `json:"name,omitempty"`
	ID         string   `json:"id,omitempty"`
	Category   string   `json:"category,omitempty"`
	Series     string   `json:"series,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	// Kind is alert or known-good; empty: as the set's kind says
	// (triage.Entry.KindIn).
	Kind string `json:"kind,omitempty"`
}

// Entry converts the JSON to a domain entry.
func (j EntryJSON) Entry() (triage.Entry, error) {
	e := triage.NewEntry()
	var err error
	if j.MD5 != "" {
		if e.MD5, err = triage.ParseMD5(j.MD5); err != nil {
			return e, err
		}
		e.Algos |= triage.AlgoSet(triage.AlgoMD5)
	}
	if j.SHA1 != "" {
		if e.SHA1, err = triage.ParseSHA1(j.SHA1); err != nil {
			return e, err
		}
		e.Algos |= triage.AlgoSet(triage.AlgoSHA1)
	}
	if j.SHA256 != "" {
		if e.SHA256, err = triage.ParseSHA256(j.SHA256); err != nil {
			return e, err
		}
		e.Algos |= triage.AlgoSet(triage.AlgoSHA256)
	}
	if j.PDQ != "" {
		if e.PDQ, err = triage.ParsePDQ(j.PDQ); err != nil {
			return e, err
		}
		e.Algos |= triage.AlgoSet(triage.AlgoPDQ)
	}
	if j.PDQQuality != nil {
		e.PDQQuality = *j.PDQQuality
	}
	if j.PHash != "" {
		if e.PHash, err = triage.ParsePHash(j.PHash); err != nil {
			return e, err
		}
		e.Algos |= triage.AlgoSet(triage.AlgoPHash)
	}
	if j.Category != "" {
		if e.Category, err = triage.ParseCategory(j.Category); err != nil {
			return e, err
		}
	}
	if j.Kind != "" {
		if e.Kind, err = triage.ParseSetKind(j.Kind); err != nil {
			return e, err
		}
	}
	e.Name, e.ID, e.Series, e.Tags = j.Name, j.ID, j.Series, j.Tags
	return e, e.Validate()
}
