package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// levelMeaning says in a few plain words what each level means for the
// people who use the service.
var levelMeaning = map[string]string{
	"Consultation":  "the organisation asks you what you think",
	"Conversation":  "you and the organisation talk it through together",
	"Participation": "you do it together with the organisation",
}

// summary handles GET /s/{code}: the take-home summary for participants,
// in plain language and without anyone's name. It exists once the
// facilitator has closed the workshop; before that the page says so. The
// page is rendered once per version of the board (see boardCache), not
// for every visit.
func (a *api) summary(w http.ResponseWriter, r *http.Request) {
	ws, ok := a.findPage(w, r, r.PathValue("code"))
	if !ok {
		return
	}
	f, err := a.boards.facts(r.Context(), ws)
	if err == nil && f.phase == board.PhaseClosed && (f.summary == nil || time.Since(f.summaryAt) >= summaryFresh) {
		f.summary, err = a.renderSummary(r.Context(), ws)
		f.summaryAt = time.Now()
		if err == nil {
			a.boards.put(ws.ID, f)
		}
	}
	switch {
	case errors.Is(err, hub.ErrNotFound):
		writeNotice(w, http.StatusNotFound, noticeGone)
		return
	case err != nil:
		a.log.Warn("summary", "workshop", ws.ID, "err", err)
		writeNotice(w, http.StatusServiceUnavailable, noticeUnavailable)
		return
	}
	page := f.summary
	if f.phase != board.PhaseClosed {
		// Not yet: the page needs only the title.
		if page, err = executeSummary(doc{Title: ws.Title, Credit: board.Credit}, ws.Code, false); err != nil {
			a.log.Error("render summary", "err", err)
			writeNotice(w, http.StatusInternalServerError, noticeSummaryFailed)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", noticeCSP)
	w.Header().Set("Cache-Control", "no-store")
	if f.phase != board.PhaseClosed {
		w.WriteHeader(http.StatusConflict)
	}
	w.Write(page)
}

// renderSummary reads workshop ws's board and people and renders its
// summary page.
func (a *api) renderSummary(ctx context.Context, ws board.Workshop) ([]byte, error) {
	x, err := a.hub.Export(ctx, ws, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	d := newDoc(x)
	for i := range d.People {
		d.People[i].Names = nil // a summary to take home names no one
	}
	return executeSummary(d, ws.Code, x.Workshop.Phase == board.PhaseClosed)
}

// executeSummary renders the summary page of d.
func executeSummary(d doc, code string, closed bool) ([]byte, error) {
	var buf bytes.Buffer
	err := summaryPage.Execute(&buf, struct {
		doc
		Code    string
		Closed  bool
		Meaning map[string]string
	}{d, code, closed, levelMeaning})
	if err != nil {
		return nil, fmt.Errorf("render summary: %w", err)
	}
	return buf.Bytes(), nil
}

// noticeSummaryFailed is the page for a summary that could not be made.
var noticeSummaryFailed = notice{
	Heading: "The summary could not be made", Message: "Something went wrong on the server. Reload this page to try again.",
	Link: "/", LinkText: "Go to the start page",
}

var summaryPage = template.Must(template.New("summary").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>What we agreed · {{.Title}}</title>
<style>
body { font: 1.125rem/1.55 system-ui, sans-serif; color: #111; background: #fff; max-width: 40rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; line-height: 1.25; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-top: 2px solid #111; padding-top: 0.75rem; }
ul { padding-left: 1.25rem; }
a { color: #0b3d91; font-weight: 600; }
li { margin-bottom: 0.5rem; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.note { border-left: 4px solid #111; padding-left: 0.75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.small { font-size: 1rem; }
@media print { body { max-width: none; font-size: 11pt; } }
</style>
</head>
<body>
<main>
<h1 dir="auto">What we agreed: {{.Title}}</h1>
{{- if not .Closed}}
<p>The summary will be here when the facilitator closes the workshop. Come back to this page then.</p>
<p><a href="/j/{{.Code}}">Back to the workshop</a></p>
{{- else}}
<p>This is what the group agreed on {{.Date}}, stage by stage. No one's name is on this page.</p>
<p class="small">Who took part: {{.Turnout}}.</p>
{{- range .Stages}}
<section>
<h2>{{.Name}}: {{.About}}</h2>
{{- if .AgreedLevel}}
<p>We agreed on <strong>{{.AgreedLevel}}</strong>: {{index $.Meaning .AgreedLevel}}.</p>
{{- if or .Agree .Unsure .Disagree}}
<p>{{.ConsentSaid}}.</p>
{{- end}}
{{- else}}
<p>We did not agree on a level for this stage.</p>
{{- end}}
{{- with .Note}}
<p class="note" dir="auto">{{.}}</p>
{{- end}}
{{- if .Agreed}}
<p>What we will do:</p>
<ul>
{{- range .Agreed}}
<li class="text" dir="auto">{{.Text}}</li>
{{- end}}
</ul>
{{- end}}
</section>
{{- end}}
{{- end}}
<p class="small">{{.Credit}}. Made with Withboard.</p>
</main>
</body>
</html>`))
