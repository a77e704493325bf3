package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// labClient talks to a lab service's API with a bearer token, retrying
// retryable failures (server unavailable, connection refused or reset)
// with exponential backoff.
type labClient struct {
	base    string
	token   string
	hc      *http.Client
	retries int
	// sleep waits between retries (tests shorten it).
	sleep func(ctx context.Context, d time.Duration) error
}

func newLabClient(server, token string, retries int) (*labClient, error) {
	if server == "" {
		return nil, triage.Errorf(triage.EINVALID, "no server: pass --server URL or set WINNOW_SERVER")
	}
	if token == "" {
		return nil, triage.Errorf(triage.EINVALID, "no token: pass --token T or set WINNOW_TOKEN (winnow admin token create)")
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, triage.Errorf(triage.EINVALID, "server %q is not an http(s) URL", server)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	tr.ResponseHeaderTimeout = 10 * time.Minute
	tr.ExpectContinueTimeout = 10 * time.Second
	return &labClient{base: strings.TrimRight(server, "/"), token: token, hc: &http.Client{Transport: tr}, retries: retries,
		sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
				return nil
			}
		}}, nil
}

// request is one API call. body, if set, opens a fresh body for each
// attempt with its length (-1 if unknown).
type request struct {
	method string
	path   string
	query  url.Values
	body   func() (io.ReadCloser, int64, error)
	ctype  string
	// expect sends "Expect: 100-continue", so the body is sent only if the
	// service asks for it.
	expect bool
}

// apiError is an error answer of the service.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.msg, e.status) }

func (e *apiError) Unwrap() error { return triage.Errorf(e.code, "%s", e.msg) }

// retryable reports whether err may go away if the request is repeated.
func retryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status == 502 || ae.status == 503 || ae.status == 504 || ae.status == 429
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE)
}

// do sends r, retrying retryable failures, and decodes a JSON answer into
// out (if not nil). It returns the final status.
func (c *labClient) do(ctx context.Context, r request, out any) (int, error) {
	var err error
	for attempt := 0; ; attempt++ {
		var status int
		status, err = c.once(ctx, r, out)
		if err == nil || !retryable(err) || attempt >= c.retries || ctx.Err() != nil {
			return status, err
		}
		d := min(time.Duration(250<<min(attempt, 7))*time.Millisecond, 30*time.Second)
		d += time.Duration(rand.Int64N(int64(d) / 2))
		if serr := c.sleep(ctx, d); serr != nil {
			return status, err
		}
	}
}

func (c *labClient) once(ctx context.Context, r request, out any) (int, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.ReadCloser
	size := int64(0)
	if r.body != nil {
		var err error
		if body, size, err = r.body(); err != nil {
			return 0, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return 0, err
	}
	if body != nil {
		req.ContentLength = size
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	if r.expect && size > 0 {
		req.Header.Set("Expect", "100-continue")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &eb) != nil || eb.Error.Message == "" {
			eb.Error.Code, eb.Error.Message = codeOfStatus(resp.StatusCode), http.StatusText(resp.StatusCode)
		}
		return resp.StatusCode, &apiError{status: resp.StatusCode, code: eb.Error.Code, msg: eb.Error.Message}
	}
	if out != nil && r.method != http.MethodHead {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("reading the answer of %s %s: %w", r.method, r.path, err)
		}
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, nil
}

func codeOfStatus(st int) string {
	switch {
	case st == 404:
		return triage.ENOTFOUND
	case st == 401:
		return triage.EUNAUTHORIZED
	case st == 403:
		return triage.EFORBIDDEN
	case st == 413:
		return triage.ETOOLARGE
	case st >= 500:
		return triage.EUNAVAILABLE
	}
	return triage.EINVALID
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
