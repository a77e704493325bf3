package api

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// The review web UI: plain HTML, CSS and JavaScript modules written for
// Winnow, embedded in the binary and served by the API server itself, so
// it works with no internet access (no CDN, no external fonts, no map
// tiles) and under a Content-Security-Policy that allows no inline script.

//go:embed ui/static
var uiFiles embed.FS

// UIFiles returns the embedded UI files (static/index.html, ...).
func UIFiles() fs.FS {
	sub, _ := fs.Sub(uiFiles, "ui")
	return sub
}

// handleRoot sends browsers to the UI.
//
//	GET /
func (s *Server) handleRoot(c *gin.Context) {
	c.Redirect(http.StatusFound, "/ui/")
}

// handleUI serves the UI: /ui/static/FILE from the embedded files, any
// other path under /ui/ the application page (it routes on the client).
//
//	GET /ui/{path}
func (s *Server) handleUI(c *gin.Context) {
	p := path.Clean("/" + c.Param("path"))
	name := "static/index.html"
	if rest, ok := strings.CutPrefix(p, "/static/"); ok {
		name = "static/" + rest
	}
	b, err := fs.ReadFile(UIFiles(), name)
	if err != nil {
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	c.Data(http.StatusOK, ct, b)
}
