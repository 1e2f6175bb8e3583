package main

import (
	"html/template"
	"io"

	"github.com/withboard/withboard/hub/board"
)

// renderHTML writes the record as a printable page: A4, black on white,
// nothing that relies on colour, no scripts and no event handlers. Text
// people wrote is escaped by html/template and set with dir="auto", so
// right-to-left text reads in its own direction.
func renderHTML(w io.Writer, x board.Export) error {
	return exportPage.Execute(w, newDoc(x))
}

var exportPage = template.Must(template.New("export").Funcs(template.FuncMap{
	"count":  count,
	"cards":  cardCount,
	"orNone": orNone,
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Withboard record</title>
<style>
@page { size: A4; margin: 18mm 16mm 20mm; }
html { color: #000; background: #fff; }
body { font: 11pt/1.45 Georgia, "Times New Roman", serif; max-width: 178mm; margin: 0 auto; padding: 10mm 4mm; }
h1 { font-size: 20pt; line-height: 1.2; margin: 0 0 2mm; }
h2 { font-size: 15pt; border-bottom: 1.5pt solid #000; padding-bottom: 1mm; margin: 8mm 0 3mm; break-after: avoid; }
h3 { font-size: 11.5pt; margin: 4mm 0 1.5mm; break-after: avoid; }
p { margin: 0 0 2mm; }
.meta, .credit, .votes { font-size: 9.5pt; }
table { border-collapse: collapse; margin: 1mm 0 3mm; break-inside: avoid; }
th, td { border: 0.75pt solid #000; padding: 1mm 2.5mm; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
ul.people { margin: 0 0 3mm; padding-left: 5mm; }
ul.cards { list-style: none; padding: 0; margin: 0 0 2mm; }
ul.cards li { border: 0.75pt solid #000; padding: 1.5mm 2.5mm; margin: 0 0 1.5mm; break-inside: avoid; }
ul.cards li.agreed { border-width: 2pt; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.votes { margin: 0.5mm 0 0; }
.note { border-left: 2pt solid #000; padding-left: 3mm; white-space: pre-wrap; overflow-wrap: anywhere; }
footer { margin-top: 8mm; border-top: 0.75pt solid #000; padding-top: 2mm; }
figure.grid { margin: 2mm 0 5mm; break-inside: avoid; }
figure.grid table { width: 100%; table-layout: fixed; margin: 0; }
figure.grid th, figure.grid td { padding: 1.5mm 2mm; font-size: 10pt; }
figure.grid thead th { width: 27%; }
figure.grid thead th:first-child { width: 19%; }
figure.grid .about { display: block; font-weight: normal; font-size: 8.5pt; }
figure.grid td.agreed { border: 2.5pt solid #000; font-weight: bold; }
figure.grid td.agreed .mark { display: block; font-size: 10.5pt; }
figure.grid figcaption { font-size: 9pt; margin-top: 1.5mm; }
@media print { body { max-width: none; padding: 0; } }
</style>
</head>
<body>
<header>
<h1 dir="auto">{{.Title}}</h1>
<p class="meta">Workshop of {{.Date}}. {{.PhaseNote}} Record made {{.Exported}}.</p>
</header>
<section aria-labelledby="summary">
<h2 id="summary">Summary</h2>
<h3 id="grid-title">The grid: the level agreed for each stage</h3>
<figure class="grid" aria-labelledby="grid-title">
<table>
<thead><tr><th scope="col">Stage</th>{{range .Levels}}<th scope="col">{{.Name}}<span class="about">{{.About}}</span></th>{{end}}</tr></thead>
<tbody>
{{- range .Stages}}
<tr><th scope="row">{{.Name}}<span class="about">{{.About}}{{if not .AgreedLevel}}; no level agreed{{end}}</span></th>
{{- range .Grid}}<td{{if .Agreed}} class="agreed"{{end}}>{{if .Agreed}}<span class="mark"><span aria-hidden="true">✔ </span>Agreed</span>{{end}}{{cards .Cards}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
<figcaption>Each row is a stage and each column a level of involvement. The level agreed for a stage is marked “✔ Agreed” and has a thick border. The grid is adapted from the Inspiring Impact guidance by NPC.</figcaption>
</figure>
<h3>Agreed levels and consent</h3>
<table>
<thead><tr><th scope="col">Stage</th><th scope="col">Agreed level</th><th scope="col" class="n">Agree</th><th scope="col" class="n">Unsure</th><th scope="col" class="n">Disagree</th></tr></thead>
<tbody>
{{- range .Stages}}
<tr><th scope="row">{{.Name}}</th><td>{{orNone .AgreedLevel}}</td><td class="n">{{.Agree}}</td><td class="n">{{.Unsure}}</td><td class="n">{{.Disagree}}</td></tr>
{{- end}}
</tbody>
</table>
<h3>Who took part</h3>
<ul class="people">
{{- range .People}}
<li>{{.Label}}: {{.Count}}{{with .Who}} (<span dir="auto">{{.}}</span>){{end}}</li>
{{- end}}
</ul>
<h3>Whose voice is on the board</h3>
{{template "voice" .Voice}}
</section>
{{- range .Stages}}
<section aria-labelledby="stage-{{.ID}}">
<h2 id="stage-{{.ID}}">{{.Name}}: {{.About}}</h2>
<p>Agreed level: <strong>{{orNone .AgreedLevel}}</strong></p>
{{- with .Note}}
<p class="note" dir="auto">{{.}}</p>
{{- end}}
{{- if .AgreedLevel}}
<p>Consent: {{.ConsentLine}}.</p>
{{- end}}
<h3>Whose voice</h3>
{{template "voice" .Voice}}
<h3>Agreed</h3>
{{- if .Agreed}}
<ul class="cards">
{{- range .Agreed}}
<li class="agreed"><p class="text" dir="auto">{{.Text}}</p><p class="votes">Agreed · {{.Level}} · {{count .Votes "vote" "votes"}}</p></li>
{{- end}}
</ul>
{{- else}}
<p>No card was marked as agreed.</p>
{{- end}}
{{- range .Levels}}
<h3>Other cards: {{.Name}}</h3>
<ul class="cards">
{{- range .Cards}}
<li><p class="text" dir="auto">{{.Text}}</p><p class="votes">{{count .Votes "vote" "votes"}}</p></li>
{{- end}}
</ul>
{{- else}}
<p>No other cards.</p>
{{- end}}
</section>
{{- end}}
<section aria-labelledby="tray">
<h2 id="tray">Not placed on the grid</h2>
{{- if .Tray}}
<ul class="cards">
{{- range .Tray}}
<li{{if .Agreed}} class="agreed"{{end}}><p class="text" dir="auto">{{.Text}}</p><p class="votes">{{if .Agreed}}Agreed · {{end}}{{count .Votes "vote" "votes"}}</p></li>
{{- end}}
</ul>
{{- else}}
<p>None.</p>
{{- end}}
</section>
<footer>
<p class="credit">{{.Credit}}. Made with Withboard.</p>
</footer>
</body>
</html>
{{define "voice"}}<table>
<thead><tr><th scope="col">Who</th><th scope="col" class="n">Cards</th><th scope="col" class="n">Votes</th></tr></thead>
<tbody>
{{- range .}}
<tr><th scope="row">{{.Label}}</th><td class="n">{{.Cards}}</td><td class="n">{{.Votes}}</td></tr>
{{- end}}
</tbody>
</table>{{end}}`))
