package main

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// Plain pages for a person who opens a link to a workshop that is not
// there: never the API's JSON where a person lands.

// noticeCSP lets a notice style itself and nothing else.
const noticeCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

// notice is what a notice page says, and where it leads.
type notice struct {
	Heading, Message string
	Link, LinkText   string
}

var (
	noticeGone = notice{
		Heading:  "This workshop was deleted or does not exist",
		Message:  "Check the link, or the code, with the person running the session. A workshop that was deleted is gone for good: nothing of it is kept.",
		Link:     "/",
		LinkText: "Go to the start page",
	}
	noticeUnavailable = notice{
		Heading:  "We cannot open this just now",
		Message:  "The server cannot look up the workshop at the moment. Wait a little, then reload this page.",
		Link:     "/",
		LinkText: "Go to the start page",
	}
)

// writeNotice sends a notice page with status.
func writeNotice(w http.ResponseWriter, status int, n notice) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", noticeCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	noticePage.Execute(w, n)
}

// findPage looks up the workshop a page's path names, answering with a
// notice page itself when it is not there or cannot be looked up.
func (a *api) findPage(w http.ResponseWriter, r *http.Request, ref string) (board.Workshop, bool) {
	ws, err := a.lookup(r, ref)
	var guessing *errGuessing
	switch {
	case errors.As(err, &guessing):
		w.Header().Set("Retry-After", guessing.retryAfter())
		writeNotice(w, http.StatusTooManyRequests, noticeGuessing)
		return ws, false
	case errors.Is(err, hub.ErrNotFound):
		writeNotice(w, http.StatusNotFound, noticeGone)
		return ws, false
	case err != nil:
		a.log.Warn("find workshop for a page", "err", err)
		writeNotice(w, http.StatusServiceUnavailable, noticeUnavailable)
		return ws, false
	}
	return ws, true
}

// workshopPage serves page for a workshop that exists, named by the
// path's param, and a notice page otherwise.
func (a *api) workshopPage(param string, page http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := a.findPage(w, r, r.PathValue(param)); ok {
			page(w, r)
		}
	}
}

var noticePage = template.Must(template.New("notice").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Heading}} · Withboard</title>
<style>
body { font: 1.125rem/1.55 system-ui, sans-serif; color: #111; background: #fff; max-width: 40rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; line-height: 1.25; }
a { color: #0b3d91; font-weight: 600; }
a:focus-visible { outline: 3px solid #111; outline-offset: 2px; }
</style>
</head>
<body>
<main>
<h1>{{.Heading}}</h1>
<p>{{.Message}}</p>
<p><a href="{{.Link}}">{{.LinkText}}</a></p>
</main>
</body>
</html>`))
