package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// upload records one received file: its object (streamed from body, or
// already stored when body is nil and sum is given), its item row, the
// audit event, and then, after the row is committed, the analysis task.
func (s *Server) upload(c *gin.Context, ex triage.Exhibit, path string, body io.Reader, size int64, sum triage.SHA256) (ItemJSON, bool, error) {
	ctx := c.Request.Context()
	if path == "" {
		return ItemJSON{}, false, triage.Errorf(triage.EINVALID, "no path: give the file's original path (?path=... or the part's filename)")
	}
	// The path is shown escaped (control and bidi characters, invalid
	// UTF-8) and kept as received; it is checked before the content is
	// stored, so that a refused path leaves no object behind.
	name, changed := triage.EscapeName(path)
	var raw string
	if changed {
		raw = strconv.Quote(path)
	}
	if len(name) > triage.MaxPathLen || len(raw) > 4*triage.MaxPathLen {
		return ItemJSON{}, false, triage.Errorf(triage.EINVALID, "item path is longer than %d bytes", triage.MaxPathLen)
	}
	var info triage.EvidenceInfo
	var err error
	// Content the user cannot see elsewhere must be sent: naming a SHA-256
	// proves nothing, and would copy another case's evidence into this one.
	if !sum.IsZero() {
		_, v := viewer(c)
		visible, err := s.cfg.Access.CanSeeEvidence(ctx, v, sum)
		if err != nil {
			return ItemJSON{}, false, err
		}
		if !visible {
			if body == nil {
				return ItemJSON{}, false, triage.Errorf(triage.ENOTFOUND, "no stored evidence with SHA-256 %s that you may see: upload the content", sum)
			}
			sum, body = triage.SHA256{}, &verifyingReader{r: body, h: sha256.New(), want: sum}
		}
	}
	if body != nil {
		// With the SHA-256 given and the content already stored, Put does
		// not read the body (with "Expect: 100-continue" it is never sent).
		if info, err = s.cfg.Evidence.Put(ctx, body, size, sum); err != nil {
			return ItemJSON{}, false, err
		}
		if !info.Skipped {
			s.metrics.uploadBytes.Add(float64(info.Size))
		}
	} else if info, err = s.cfg.Evidence.Stat(ctx, sum); err != nil {
		if triage.ErrorCode(err) == triage.ENOTFOUND {
			err = triage.Errorf(triage.ENOTFOUND, "no stored evidence with SHA-256 %s: upload the content", sum)
		}
		return ItemJSON{}, false, err
	}
	stored := body == nil || info.Skipped
	if stored && (info.MD5.IsZero() || info.SHA1.IsZero()) {
		d, err := s.cfg.Items.DigestsOf(ctx, sum)
		switch {
		case err == nil:
			info.Digests = d
		case triage.ErrorCode(err) == triage.ENOTFOUND && body != nil:
			// Stored but never recorded (the database failed after the
			// upload): digest the body, which must match.
			if info, err = digestBody(body, size, sum); err != nil {
				return ItemJSON{}, false, err
			}
		case triage.ErrorCode(err) == triage.ENOTFOUND:
			return ItemJSON{}, false, triage.Errorf(triage.ENOTFOUND, "stored evidence %s has no recorded digests: upload the content", sum)
		default:
			return ItemJSON{}, false, err
		}
	}
	u, _ := UserFromContext(ctx)
	it := triage.Item{ExhibitID: ex.ID, Path: name, RawName: raw, SubmitterID: u.ID, Size: info.Size, Digests: info.Digests}
	// The upload's audit event commits with the item: no item without it.
	d := map[string]string{"sha256": it.SHA256.String(), "path": name, "size": strconv.FormatInt(it.Size, 10), "exhibit": strconv.FormatInt(ex.ID, 10)}
	if raw != "" {
		d["raw_name"] = raw
	}
	ev := s.auditEvent(c, triage.AuditUpload, "", d)
	// Content this request did not store itself may be an orphan being
	// collected: the store checks it is still there, under its lock.
	var present func(context.Context) error
	if stored {
		present = func(ctx context.Context) error { return triage.StillStored(ctx, s.cfg.Evidence, it.SHA256) }
	}
	created, err := s.cfg.Items.CreateItem(ctx, &it, &ev, present)
	if err != nil {
		return ItemJSON{}, false, err
	}
	if !it.State.Final() {
		if err := s.cfg.Enqueuer.EnqueueAnalyze(context.WithoutCancel(ctx), it.ID); err != nil {
			// The row is committed; the reconciler will enqueue it.
			s.log.WarnContext(ctx, "enqueue failed; the reconciler will retry", "item_id", it.ID, "err", err)
		}
	}
	j := itemJSON(&it)
	switch {
	case !created:
		j.UploadResult = "existing"
	case stored:
		j.UploadResult = "stored"
	default:
		j.UploadResult = "created"
	}
	return j, created, nil
}

// handlePutItem receives one file as the raw request body, streamed to the
// evidence store. Query: path (required: the file's original path), sha256
// (optional: checked against the content; if that content is already
// stored the body is not read, so a client sending "Expect: 100-continue"
// never uploads it, and an empty body records stored evidence). 201 for a
// new item, 200 when the same content was already recorded at this path.
//
//	PUT /api/v1/cases/{case}/exhibits/{exhibit}/items
func (s *Server) handlePutItem(c *gin.Context) {
	_, ex, err := s.exhibitOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var sum triage.SHA256
	if v := c.Query("sha256"); v != "" {
		if sum, err = triage.ParseSHA256(v); err != nil {
			s.fail(c, err)
			return
		}
	}
	var body io.Reader
	if c.Request.ContentLength != 0 || sum.IsZero() {
		if c.Request.ContentLength > s.cfg.MaxUploadBytes {
			s.fail(c, triage.Errorf(triage.ETOOLARGE, "upload of %d bytes is larger than the server's limit of %d bytes", c.Request.ContentLength, s.cfg.MaxUploadBytes))
			return
		}
		body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxUploadBytes)
	}
	j, created, err := s.upload(c, ex, c.Query("path"), body, c.Request.ContentLength, sum)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, j)
}

// PartResult is the outcome for one file of a multipart upload.
type PartResult struct {
	Path  string    `json:"path"`
	Item  *ItemJSON `json:"item,omitempty"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// partPath returns a part's file name exactly as sent: mime/multipart's
// FileName keeps only the base name, and the original path matters for
// the chain of custody.
func partPath(header string) string {
	_, params, err := mime.ParseMediaType(header)
	if err != nil {
		return ""
	}
	return params["filename"]
}

// handlePostItems receives files as a streaming multipart/form-data body:
// every part with a filename is one file (the filename is its original
// path), read from the stream straight into the evidence store, never
// spooled to disk. Each file succeeds or fails on its own; the response
// lists them in order. 200, or the status of the first failure when every
// file failed.
//
//	POST /api/v1/cases/{case}/exhibits/{exhibit}/items
func (s *Server) handlePostItems(c *gin.Context) {
	_, ex, err := s.exhibitOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxUploadBytes)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.fail(c, triage.Errorf(triage.EINVALID, "expected a multipart/form-data body: %v", err))
		return
	}
	var results []PartResult
	var firstErr error
	failed := 0
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				err = triage.Errorf(triage.ETOOLARGE, "upload is larger than the server's limit of %d bytes", mbe.Limit)
			} else {
				err = triage.Errorf(triage.EINVALID, "malformed multipart body: %v", err)
			}
			s.fail(c, err)
			return
		}
		path := partPath(part.Header.Get("Content-Disposition"))
		if path == "" {
			part.Close()
			continue // a plain form field
		}
		shown, _ := triage.EscapeName(path)
		r := PartResult{Path: shown}
		j, _, err := s.upload(c, ex, path, part, -1, triage.SHA256{})
		part.Close()
		if err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
			r.Error = &struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}{triage.ErrorCode(err), triage.ErrorMessage(err)}
			if triage.ErrorCode(err) == triage.EINTERNAL {
				s.log.ErrorContext(c.Request.Context(), "multipart file failed", "path", shown, "err", err)
			}
			if code := triage.ErrorCode(err); code == triage.EUNAVAILABLE || code == triage.ETOOLARGE {
				results = append(results, r)
				break // the rest of the stream cannot be stored either
			}
		} else {
			r.Item = &j
		}
		results = append(results, r)
	}
	if len(results) > 0 && failed == len(results) {
		s.fail(c, firstErr)
		return
	}
	c.JSON(http.StatusOK, gin.H{"files": nonNil(results)})
}

// itemOf returns the route's item, which authorize resolved and checked.
func (s *Server) itemOf(c *gin.Context) (triage.Item, error) {
	if v, ok := c.Get(itemKey); ok {
		return v.(triage.Item), nil
	}
	return triage.Item{}, triage.Errorf(triage.ENOTFOUND, "no item %s that you may see", c.Param("id"))
}

// auditMetadata records a read of an item's EXIF (GPS, serial numbers),
// when it has any; false when the read is refused (auditRead).
func (s *Server) auditMetadata(c *gin.Context, it *triage.Item, view string) bool {
	if len(it.EXIF) == 0 {
		return true
	}
	d := map[string]string{"view": view}
	if _, ok := it.EXIF["GPSLatitude"]; ok {
		d["gps"] = "true"
	}
	return s.auditRead(c, triage.AuditMetadata, "item/"+strconv.FormatInt(it.ID, 10), d)
}

// handleGetItem returns an item with its hashes, EXIF summary, verdict and
// matches. A read of EXIF is audited.
//
//	GET /api/v1/items/{id}
func (s *Server) handleGetItem(c *gin.Context) {
	it, err := s.itemOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ms, err := s.cfg.Items.Matches(c.Request.Context(), it.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	j := itemJSON(&it)
	j.addMatches(ms)
	if !s.auditMetadata(c, &it, "item") {
		return
	}
	c.JSON(http.StatusOK, j)
}

// handleItemContent streams an item's content from the evidence store,
// verified against its SHA-256. Media access is audited.
//
//	GET /api/v1/items/{id}/content
func (s *Server) handleItemContent(c *gin.Context) {
	it, err := s.itemOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	rc, info, err := s.cfg.Evidence.Get(c.Request.Context(), it.SHA256)
	if err != nil {
		s.fail(c, err)
		return
	}
	defer rc.Close()
	if !s.auditRead(c, triage.AuditMediaAccess, "item/"+strconv.FormatInt(it.ID, 10), map[string]string{"what": "content"}) {
		return
	}
	ct := it.MIME
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Header("Content-Type", ct)
	c.Header("Content-Length", strconv.FormatInt(info.Size, 10))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", "attachment")
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, rc); err != nil {
		// Headers are gone; cut the response so the client sees a short read.
		s.log.ErrorContext(c.Request.Context(), "content stream failed", "item_id", it.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// handleItemThumbnail returns an item's JPEG thumbnail. Media access is
// audited.
//
//	GET /api/v1/items/{id}/thumbnail
func (s *Server) handleItemThumbnail(c *gin.Context) {
	it, err := s.itemOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if it.ThumbnailKey == "" {
		s.fail(c, triage.Errorf(triage.ENOTFOUND, "item %d has no thumbnail", it.ID))
		return
	}
	b, err := s.cfg.Blobs.GetBlob(c.Request.Context(), it.ThumbnailKey)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !s.auditRead(c, triage.AuditMediaAccess, "item/"+strconv.FormatInt(it.ID, 10), map[string]string{"what": "thumbnail"}) {
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "image/jpeg", b)
}

// handleEvidenceLookup reports whether content with this SHA-256 is
// stored in a case the user may see (200 with its size, 404 if not), so
// clients skip uploading it again and record it with PUT
// .../items?path=...&sha256=... instead.
//
//	HEAD /api/v1/evidence/{sha256}
//	GET /api/v1/evidence/{sha256}
func (s *Server) handleEvidenceLookup(c *gin.Context) {
	sum, err := triage.ParseSHA256(strings.ToLower(c.Param("sha256")))
	if err != nil {
		s.fail(c, err)
		return
	}
	info, err := s.cfg.Evidence.Stat(c.Request.Context(), sum)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("X-Evidence-Size", strconv.FormatInt(info.Size, 10))
	if c.Request.Method == http.MethodHead {
		c.Status(http.StatusOK)
		return
	}
	c.JSON(http.StatusOK, gin.H{"sha256": sum.String(), "size": info.Size, "md5": info.MD5.String(), "sha1": info.SHA1.String()})
}

// verifyingReader fails at the end of content whose SHA-256 is not want,
// so that the store discards it rather than keep an object nobody records.
type verifyingReader struct {
	r    io.Reader
	h    hash.Hash
	want triage.SHA256
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF && !bytes.Equal(v.h.Sum(nil), v.want[:]) {
		return n, triage.Errorf(triage.EINVALID, "the content's SHA-256 is %x, not %s as the request says", v.h.Sum(nil), v.want)
	}
	return n, err
}

// digestBody reads a body to compute its digests, which must give want.
func digestBody(body io.Reader, size int64, want triage.SHA256) (triage.EvidenceInfo, error) {
	d := hashing.NewStreamDigests()
	n, err := io.CopyBuffer(d, body, make([]byte, 256<<10))
	if err != nil {
		return triage.EvidenceInfo{}, triage.Errorf(triage.EINVALID, "upload interrupted: %v", err)
	}
	info := triage.EvidenceInfo{Digests: d.Sum(), Size: n}
	if size >= 0 && n != size {
		return info, triage.Errorf(triage.EINVALID, "upload ended after %d of %d bytes", n, size)
	}
	if info.SHA256 != want {
		return info, triage.Errorf(triage.EINVALID, "the content's SHA-256 is %s, not %s as the request says", info.SHA256, want)
	}
	return info, nil
}
