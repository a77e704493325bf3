package api

import (
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/wire"
)

// ItemJSON is an item as the API shows it: what analysis says about it
// in the model winnow scan's report.json uses too (wire.Item), and where
// it is in the lab.
type ItemJSON struct {
	ID       int64  `json:"id"`
	Case     string `json:"case,omitempty"`
	Exhibit  string `json:"exhibit,omitempty"`
	ParentID int64  `json:"parent_id,omitempty"`
	wire.Item
	SubmitterID int64             `json:"submitter_id,omitempty"`
	ReceivedAt  time.Time         `json:"received_at"`
	EXIF        map[string]string `json:"exif,omitempty"`
	Thumbnail   bool              `json:"thumbnail"`
	State       triage.ItemState  `json:"state"`
	// ErrorCode is the code of Error (EINVALID, ETOOLARGE...).
	ErrorCode  string     `json:"error_code,omitempty"`
	Attempts   int        `json:"attempts"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// UploadResult, on upload: "created" (content received and stored),
	// "stored" (new item for content the service already had, not sent
	// again) or "existing" (this item was already recorded).
	UploadResult string `json:"upload,omitempty"`
}

func itemJSON(it *triage.Item) ItemJSON {
	j := ItemJSON{
		ID: it.ID, ParentID: it.ParentID, SubmitterID: it.SubmitterID, ReceivedAt: it.ReceivedAt, EXIF: it.EXIF,
		Thumbnail: it.ThumbnailKey != "", State: it.State, ErrorCode: it.ErrorCode, Attempts: it.Attempts,
		Item: wire.Item{Path: it.Path, InnerPath: it.InnerPath, RawName: it.RawName, Origin: it.Origin, Size: it.Size,
			MD5: hexOf(it.MD5), SHA1: hexOf(it.SHA1), SHA256: hexOf(it.SHA256),
			MIME: it.MIME, Kind: it.Kind, Width: it.Width, Height: it.Height,
			Verdict: it.Verdict, Reason: it.Reason, Error: wire.Opt(it.Error)},
	}
	j.SetCategory(it.Category)
	if it.Perceptual {
		q := it.PDQQuality
		j.PDQ, j.PDQQuality, j.PHash, j.DHash = wire.Opt(it.PDQ.String()), &q, wire.Opt(it.PHash.String()), wire.Opt(it.DHash.String())
		j.Partial = it.Partial
	}
	if !it.FinishedAt.IsZero() {
		t := it.FinishedAt
		j.FinishedAt = &t
	}
	return j
}

// hexOf is a digest in lowercase hex, null when it was not computed.
func hexOf[H interface {
	IsZero() bool
	String() string
}](h H) wire.Opt {
	if h.IsZero() {
		return ""
	}
	return wire.Opt(h.String())
}

// addMatches adds an item's stored matches, and the known-good sets that
// conflict with its alert verdict.
func (j *ItemJSON) addMatches(ms []triage.MatchRecord) {
	alert := j.Verdict == triage.VerdictKnown || j.Verdict == triage.VerdictVariant
	j.Matches = []wire.Match{}
	for _, m := range ms {
		j.Matches = append(j.Matches, wire.MatchOf(m.Match))
		if alert && m.SetKind == triage.SetKindKnownGood && triage.AlgosCrypto.Has(m.Algo) {
			j.AddAlsoKnownGood(m.Set)
		}
	}
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
