package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// exportCSP is the Content-Security-Policy of every export: a downloaded
// record may be opened on its own, so it may style itself but nothing in it
// can run, load or be framed.
const exportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

// maxSlug bounds the title part of an export's file name, in characters.
const maxSlug = 60

// exportFormat is one format of GET /api/workshops/{id}/export.
type exportFormat struct {
	contentType string
	ext         string
	render      func(io.Writer, board.Export) error
}

// exportFormats are the contract's formats, by their name in ?format=.
var exportFormats = map[string]exportFormat{
	"json": {"application/json; charset=utf-8", "json", renderJSON},
	"csv":  {"text/csv; charset=utf-8", "csv", renderCSV},
	"md":   {"text/markdown; charset=utf-8", "md", renderMarkdown},
	"html": {"text/html; charset=utf-8", "html", renderHTML},
}

// export handles GET /api/workshops/{id}/export?format=json|csv|md|html.
// The record is read from the store, so any instance can serve it, and a
// closed workshop can still be exported. Without format, it is json.
func (a *api) export(w http.ResponseWriter, r *http.Request) {
	ws, ok := a.facilitator(w, r)
	if !ok {
		return
	}
	name := strings.ToLower(r.URL.Query().Get("format"))
	if name == "" {
		name = "json"
	}
	f, ok := exportFormats[name]
	if !ok {
		apiError(w, http.StatusBadRequest, board.CodeInvalid, "Choose an export format: json, csv, md or html.")
		return
	}
	x, err := a.hub.Export(r.Context(), ws, time.Now().UTC())
	switch {
	case errors.Is(err, hub.ErrNotFound):
		apiError(w, http.StatusNotFound, board.CodeNotFound, "There is no workshop with that code. Check the code and try again.")
		return
	case err != nil:
		a.log.Warn("export", "workshop", ws.ID, "err", err)
		apiError(w, http.StatusServiceUnavailable, board.CodeUnavailable, "The record cannot be read right now. Try again in a moment.")
		return
	}
	var buf bytes.Buffer
	if err := f.render(&buf, x); err != nil {
		a.log.Error("render export", "workshop", ws.ID, "format", name, "err", err)
		apiError(w, http.StatusInternalServerError, "internal", "The record could not be written. Try another format.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Content-Disposition", contentDisposition(x.Workshop.Title, x.ExportedAt.UTC(), f.ext))
	h.Set("Content-Security-Policy", exportCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

func renderJSON(w io.Writer, x board.Export) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(x)
}

// workshopDay is the day the workshop was held: the day it was created,
// in UTC.
func workshopDay(x board.Export) time.Time {
	if x.Workshop.CreatedAt.IsZero() {
		return x.ExportedAt.UTC()
	}
	return x.Workshop.CreatedAt.UTC()
}

// contentDisposition names the download withboard-<title>-<date>.<ext>,
// where date is the day of the export: an ASCII-only filename for old
// clients, and the title in any script in filename* (RFC 6266, RFC 5987).
func contentDisposition(title string, day time.Time, ext string) string {
	tail := "-" + day.Format("2006-01-02") + "." + ext
	ascii := "withboard-" + slug(title, true) + tail
	full := "withboard-" + slug(title, false) + tail
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + encodeRFC5987(full)
}

// slug turns a title into lower-case words joined by dashes; only ASCII
// letters and digits when asciiOnly, else letters and digits of any script.
// It is never empty.
func slug(title string, asciiOnly bool) string {
	var b strings.Builder
	n, dash := 0, false
	for _, r := range strings.ToLower(title) {
		keep := unicode.IsLetter(r) || unicode.IsDigit(r)
		if asciiOnly {
			keep = r < unicode.MaxASCII && keep
		}
		if !keep {
			dash = n > 0
			continue
		}
		if n >= maxSlug {
			break
		}
		if dash {
			b.WriteByte('-')
			n, dash = n+1, false
		}
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return "workshop"
	}
	return b.String()
}

// encodeRFC5987 percent-encodes s as an ext-value: attr-chars stay, every
// other byte of its UTF-8 is %XX.
func encodeRFC5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < unicode.MaxASCII && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
