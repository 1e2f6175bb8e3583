package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// exportTitle is the scripted workshop's title.
const exportTitle = "Youth panel: what we measure"

// exportDo sends an op and fails the test unless it is acknowledged.
func exportDo(t *testing.T, c *wsClient, op map[string]any) {
	t.Helper()
	if _, code := c.ack(c.op(op)); code != "" {
		t.Fatalf("%s: got nack %s, want ack", op["kind"], code)
	}
}

// exportCard adds a card and returns its id.
func exportCard(t *testing.T, c *wsClient, text string, stage, level any) string {
	t.Helper()
	op := addCard(text, stage, level)
	exportDo(t, c, op)
	return op["card"].(map[string]any)["id"].(string)
}

func exportVote(t *testing.T, c *wsClient, card string) {
	t.Helper()
	exportDo(t, c, map[string]any{"kind": "card.vote", "cardId": card, "delta": 1})
}

// exportGet fetches an export; key "" sends no Authorization header.
func exportGet(t *testing.T, base, id, key, format string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/workshops/"+id+"/export?format="+url.QueryEscape(format), nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// exportOK fetches an export that must succeed, checking its headers.
func exportOK(t *testing.T, base string, w created, format string) []byte {
	t.Helper()
	res, body := exportGet(t, base, w.ID, w.FacilitatorKey, format)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("export %s: got status %d (%s), want 200", format, res.StatusCode, body)
	}
	f := exportFormats[format]
	if got := res.Header.Get("Content-Type"); got != f.contentType {
		t.Errorf("export %s: Content-Type %q, want %q", format, got, f.contentType)
	}
	if got := res.Header.Get("Content-Security-Policy"); got != exportCSP {
		t.Errorf("export %s: Content-Security-Policy %q, want %q", format, got, exportCSP)
	}
	cd := res.Header.Get("Content-Disposition")
	re := regexp.MustCompile(`^attachment; filename="withboard-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.` + f.ext + `"; filename\*=UTF-8''[!-~]+$`)
	if !re.MatchString(cd) {
		t.Errorf("export %s: Content-Disposition %q, want an ASCII filename and a filename*", format, cd)
	}
	return body
}

var (
	exportDateRe = regexp.MustCompile(`\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b`)
	exportTimeRe = regexp.MustCompile(`\b\d{2}:\d{2} UTC\b`)
)

// exportGolden compares a document with testdata/name after replacing
// dates and times, or rewrites the file with -update.
func exportGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = exportDateRe.ReplaceAll(got, []byte("1 January 2026"))
	got = exportTimeRe.ReplaceAll(got, []byte("12:00 UTC"))
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Export -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\ngot  %q\nwant %q", path, i+1, g, w)
			}
		}
	}
}

// exportPeople are the scripted workshop's clients.
type exportPeople struct {
	fac, staff, sam, anon *wsClient
}

// scriptWorkshop runs a workshop over WebSockets: a facilitator, a staff
// member, a named and an anonymous service user add cards in cells and the
// tray, vote, agree stages and cards, answer consent, and the workshop is
// closed.
func scriptWorkshop(t *testing.T, base string) (created, exportPeople) {
	t.Helper()
	w := createWorkshop(t, base, exportTitle)
	var p exportPeople
	p.fac = dial(t, base)
	p.fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey, "name": "Ada"})
	p.staff = dial(t, base)
	p.staff.join(map[string]any{"code": w.Code, "role": "staff", "name": "Priya"})
	p.sam = dial(t, base)
	p.sam.join(map[string]any{"code": w.Code, "role": "serviceUser", "name": "Sam"})
	p.anon = dial(t, base)
	p.anon.join(map[string]any{"code": w.Code, "role": "serviceUser"})

	exportCard(t, p.staff, "Ask the youth panel which outcomes matter", "plan", "consultation")
	cowrite := exportCard(t, p.sam, "Co-write the survey questions with us", "plan", "participation")
	check := exportCard(t, p.anon, "Check the survey works on a phone", "do", "consultation")
	train := exportCard(t, p.staff, "Train peer interviewers", "do", "participation")
	exportCard(t, p.fac, "Share first findings at the drop-in", "assess", "conversation")
	exportCard(t, p.staff, `Budget: £500, "if agreed"`, "review", "conversation")
	exportCard(t, p.sam, "Two lines:\nfirst, then second", "review", "participation")
	exportCard(t, p.sam, "Not sure where this goes", nil, nil)

	exportVote(t, p.staff, cowrite)
	exportVote(t, p.sam, cowrite)
	exportVote(t, p.sam, train)
	exportVote(t, p.anon, check)
	exportVote(t, p.anon, cowrite)

	exportDo(t, p.fac, map[string]any{"kind": "stage.agree", "stage": "plan", "level": "participation", "note": "Start with the survey.\nReview in June."})
	exportDo(t, p.fac, map[string]any{"kind": "stage.agree", "stage": "do", "level": "conversation", "note": ""})
	exportDo(t, p.fac, map[string]any{"kind": "card.agree", "cardId": cowrite, "agreed": true})
	exportDo(t, p.fac, map[string]any{"kind": "card.agree", "cardId": train, "agreed": true})
	exportDo(t, p.staff, map[string]any{"kind": "consent.set", "stage": "plan", "answer": "agree"})
	exportDo(t, p.sam, map[string]any{"kind": "consent.set", "stage": "plan", "answer": "agree"})
	exportDo(t, p.anon, map[string]any{"kind": "consent.set", "stage": "plan", "answer": "unsure"})
	exportDo(t, p.sam, map[string]any{"kind": "consent.set", "stage": "do", "answer": "disagree"})
	exportDo(t, p.fac, map[string]any{"kind": "phase.set", "phase": "closed"})
	return w, p
}

// TestExportScripted exports a closed workshop in every format, from the
// instance that ran it and from another that never loaded its room.
func TestExportScripted(t *testing.T) {
	store, err := hub.OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	one, other := newTestServer(t, store), newTestServer(t, store)
	w, p := scriptWorkshop(t, one.URL)

	for _, format := range []string{"md", "csv", "html"} {
		a, b := exportOK(t, one.URL, w, format), exportOK(t, other.URL, w, format)
		if !bytes.Equal(exportTimeRe.ReplaceAll(a, nil), exportTimeRe.ReplaceAll(b, nil)) {
			t.Errorf("%s export differs between instances", format)
		}
		exportGolden(t, "export_scripted."+format, a)
	}

	t.Run("csv", func(t *testing.T) {
		body := exportOK(t, other.URL, w, "csv")
		if !bytes.HasPrefix(body, []byte("\uFEFFstage,level,text,byRole,votes,agreed,stageAgreedLevel\n")) {
			t.Fatalf("csv starts %q, want a byte order mark and the header", body[:min(len(body), 60)])
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"stage", "level", "text", "byRole", "votes", "agreed", "stageAgreedLevel"},
			{"plan", "consultation", "Ask the youth panel which outcomes matter", "staff", "0", "false", "participation"},
			{"plan", "participation", "Co-write the survey questions with us", "serviceUser", "3", "true", "participation"},
			{"do", "consultation", "Check the survey works on a phone", "serviceUser", "1", "false", "conversation"},
			{"do", "participation", "Train peer interviewers", "staff", "1", "true", "conversation"},
			{"assess", "conversation", "Share first findings at the drop-in", "facilitator", "0", "false", ""},
			{"review", "conversation", `Budget: £500, "if agreed"`, "staff", "0", "false", ""},
			{"review", "participation", "Two lines:\nfirst, then second", "serviceUser", "0", "false", ""},
			{"", "", "Not sure where this goes", "serviceUser", "0", "false", ""},
		}
		if len(rows) != len(want) {
			t.Fatalf("csv: got %d rows, want %d", len(rows), len(want))
		}
		for i := range want {
			for j := range want[i] {
				if rows[i][j] != want[i][j] {
					t.Errorf("csv row %d %s: got %q, want %q", i, want[0][j], rows[i][j], want[i][j])
				}
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		before := time.Now().UTC().Add(-time.Second)
		body := exportOK(t, other.URL, w, "json")
		var doc struct {
			Workshop struct {
				ID, Code, Title string
				Phase           board.Phase
			}
			ExportedAt   string
			Board        board.BoardView
			Participants []struct {
				ID, Name string
				Role     board.Role
			}
			Balance map[string]struct {
				Staff, ServiceUser struct{ Cards, Votes *int }
			}
			Agreed []board.CardView
			Credit string
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Workshop.ID != w.ID || doc.Workshop.Code != w.Code || doc.Workshop.Title != exportTitle || doc.Workshop.Phase != board.PhaseClosed {
			t.Errorf("workshop: got %+v, want %s %s %q closed", doc.Workshop, w.ID, w.Code, exportTitle)
		}
		at, err := time.Parse(time.RFC3339, doc.ExportedAt)
		if err != nil || at.Before(before) || at.After(time.Now().Add(time.Second)) || !strings.HasSuffix(doc.ExportedAt, "Z") {
			t.Errorf("exportedAt: got %q, want RFC 3339 UTC, now", doc.ExportedAt)
		}
		b := doc.Board
		if b.ID != w.ID || b.Code != w.Code || b.Title != exportTitle || b.Phase != board.PhaseClosed || b.VoteBudget != 3 {
			t.Errorf("board: got %s %s %q %s budget %d", b.ID, b.Code, b.Title, b.Phase, b.VoteBudget)
		}
		wantStages := []string{"plan participation Start with the survey.\nReview in June.", "do conversation ", "assess <nil> ", "review <nil> "}
		for i, s := range b.Stages {
			level := "<nil>"
			if s.AgreedLevel != nil {
				level = *s.AgreedLevel
			}
			if got := s.ID + " " + level + " " + s.Note; got != wantStages[i] {
				t.Errorf("stage %d: got %q, want %q", i, got, wantStages[i])
			}
		}
		if len(b.Cards) != 8 {
			t.Fatalf("board cards: got %d, want 8", len(b.Cards))
		}
		for _, c := range b.Cards {
			if c.Hidden || c.Text == nil {
				t.Errorf("card %s hidden in a facilitator's export", c.ID)
			}
		}
		if c := b.Cards[1]; *c.Text != "Co-write the survey questions with us" || c.By != p.sam.you.ID || c.ByRole != board.RoleServiceUser ||
			c.VoteCount() != 3 || !c.Agreed || *c.Stage != "plan" || *c.Level != "participation" || c.Index != 0 {
			t.Errorf("card 1: got %+v", c)
		}
		if c := b.Cards[7]; c.Stage != nil || c.Level != nil || c.Index != 0 {
			t.Errorf("tray card: got stage %v level %v index %d, want null, null, 0", c.Stage, c.Level, c.Index)
		}
		wantConsent := map[string]map[string]int{
			"plan": {"agree": 2, "unsure": 1, "disagree": 0}, "do": {"agree": 0, "unsure": 0, "disagree": 1},
			"assess": {"agree": 0, "unsure": 0, "disagree": 0}, "review": {"agree": 0, "unsure": 0, "disagree": 0},
		}
		if !reflect.DeepEqual(b.Consent, wantConsent) {
			t.Errorf("consent: got %v, want %v", b.Consent, wantConsent)
		}
		var people []string
		for _, x := range doc.Participants {
			people = append(people, x.ID+" "+x.Name+" "+string(x.Role))
		}
		wantPeople := []string{
			p.fac.you.ID + " Ada facilitator", p.staff.you.ID + " Priya staff",
			p.sam.you.ID + " Sam serviceUser", p.anon.you.ID + "  serviceUser",
		}
		if !reflect.DeepEqual(people, wantPeople) {
			t.Errorf("participants: got %q, want %q", people, wantPeople)
		}
		if len(b.Participants) != 4 {
			t.Errorf("board participants: got %d, want 4", len(b.Participants))
		}
		wantBalance := map[string][4]int{ // staff cards, votes; service users cards, votes
			"plan": {1, 1, 1, 2}, "do": {1, 0, 1, 2}, "assess": {0, 0, 0, 0}, "review": {1, 0, 1, 0},
		}
		if len(doc.Balance) != 4 {
			t.Errorf("balance: got %d stages, want 4", len(doc.Balance))
		}
		for stage, want := range wantBalance {
			bal := doc.Balance[stage]
			if bal.Staff.Cards == nil || bal.Staff.Votes == nil || bal.ServiceUser.Cards == nil || bal.ServiceUser.Votes == nil {
				t.Errorf("balance %s: missing a field: %+v", stage, bal)
				continue
			}
			got := [4]int{*bal.Staff.Cards, *bal.Staff.Votes, *bal.ServiceUser.Cards, *bal.ServiceUser.Votes}
			if got != want {
				t.Errorf("balance %s: got %v, want %v", stage, got, want)
			}
		}
		if len(doc.Agreed) != 2 || *doc.Agreed[0].Text != "Co-write the survey questions with us" || *doc.Agreed[1].Text != "Train peer interviewers" {
			t.Errorf("agreed: got %+v, want the two agreed cards", doc.Agreed)
		}
		if doc.Credit != board.Credit {
			t.Errorf("credit: got %q, want %q", doc.Credit, board.Credit)
		}
	})

	t.Run("md", func(t *testing.T) {
		md := string(exportOK(t, one.URL, w, "md"))
		var headings []string
		for _, line := range strings.Split(md, "\n") {
			if strings.HasPrefix(line, "## ") {
				headings = append(headings, line)
			}
		}
		want := []string{"## Plan: choosing what to measure", "## Do: gathering the information", "## Assess: making sense of it", "## Review: acting on what you learned"}
		if !reflect.DeepEqual(headings, want) {
			t.Errorf("md ## headings: got %q, want one per stage %q", headings, want)
		}
		for _, s := range []string{"# " + exportTitle, "Priya", "Sam, and 1 without a name", board.Credit} {
			if !strings.Contains(md, s) {
				t.Errorf("md lacks %q", s)
			}
		}
	})

	t.Run("html", func(t *testing.T) {
		page := string(exportOK(t, one.URL, w, "html"))
		for _, s := range []string{"@page", "size: A4", "<title>" + exportTitle, board.Credit, "Sam, and 1 without a name"} {
			if !strings.Contains(page, s) {
				t.Errorf("html lacks %q", s)
			}
		}
	})
}

// TestExportHostileText sends text meant to break each format; every text
// must come back exactly, and nothing in it may act as markup or a formula.
func TestExportHostileText(t *testing.T) {
	srv := newEmbeddedServer(t)
	title := `<b>Ünïcode</b> & "quotes" ## שלום`
	w := createWorkshop(t, srv.URL, title)
	fac := dial(t, srv.URL)
	fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
	c := dial(t, srv.URL)
	name := `<i>Bo</i> & "Co" =1`
	c.join(map[string]any{"code": w.Code, "role": "staff", "name": name})

	texts := []string{
		`=HYPERLINK("http://x")`, "+1", "-2", `@SUM(A1)`,
		"<script>alert(1)</script>", `"quoted, with comma"`, "first line\nsecond line",
		"## Not a heading", "line one\n## second line\n\nafter a blank line", "1. not a list", "> not a quote",
		"*not bold* _nor_ `code` [link](http://x) ~~no~~", `back\slash\`, "a & b &amp; c &#60;",
		`<img src=x onerror="alert(1)">`, "emoji 🎉👩🏽‍🦱 done", "مرحبا بالعالم", "שלום עולם and English", "---",
	}
	places := [][2]any{{"plan", "consultation"}, {"do", "participation"}, {nil, nil}, {"review", "conversation"}}
	for i, text := range texts {
		pl := places[i%len(places)]
		exportCard(t, c, text, pl[0], pl[1])
	}
	note := "## note\n<script>x</script>"
	exportDo(t, fac, map[string]any{"kind": "stage.agree", "stage": "plan", "level": "conversation", "note": note})

	t.Run("json", func(t *testing.T) {
		var doc struct {
			Workshop     struct{ Title string }
			Board        board.BoardView
			Participants []struct{ Name string }
		}
		if err := json.Unmarshal(exportOK(t, srv.URL, w, "json"), &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, card := range doc.Board.Cards {
			got[*card.Text] = true
		}
		for _, text := range texts {
			if !got[text] {
				t.Errorf("json lacks card %q", text)
			}
		}
		if doc.Workshop.Title != title || doc.Board.Stages[0].Note != note || doc.Participants[1].Name != name {
			t.Errorf("json: title %q, note %q, name %q; want them as written", doc.Workshop.Title, doc.Board.Stages[0].Note, doc.Participants[1].Name)
		}
	})

	t.Run("csv", func(t *testing.T) {
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(exportOK(t, srv.URL, w, "csv"), []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, row := range rows[1:] {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
					t.Errorf("csv cell %q begins with a formula character", cell)
				}
			}
			text := row[2]
			if len(text) > 1 && text[0] == '\'' && strings.ContainsRune("=+-@", rune(text[1])) {
				text = text[1:]
			}
			got[text] = true
		}
		for _, text := range texts {
			if !got[text] {
				t.Errorf("csv lacks card %q", text)
			}
		}
	})

	t.Run("html", func(t *testing.T) {
		page := string(exportOK(t, srv.URL, w, "html"))
		if strings.Contains(strings.ToLower(page), "<script") {
			t.Errorf("html holds a script element")
		}
		if m := regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`).FindString(page); m != "" {
			t.Errorf("html holds an event handler: %q", m)
		}
		for _, raw := range []string{"<i>Bo", "<b>Ü", "<img"} {
			if strings.Contains(page, raw) {
				t.Errorf("html holds unescaped %q", raw)
			}
		}
		plain := html.UnescapeString(page)
		for _, s := range append([]string{title, note, name}, texts...) {
			if !strings.Contains(plain, s) {
				t.Errorf("html lacks %q", s)
			}
		}
	})

	t.Run("md", func(t *testing.T) {
		md := string(exportOK(t, srv.URL, w, "md"))
		n := 0
		for _, line := range strings.Split(md, "\n") {
			if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "## ") && !strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, "### ") {
				t.Errorf("md line %q starts with a stray #", line)
			}
			if strings.HasPrefix(line, "## ") {
				n++
			}
			if strings.HasPrefix(strings.TrimLeft(line, " "), "<") {
				t.Errorf("md line %q starts raw HTML", line)
			}
		}
		if n != 4 {
			t.Errorf("md: got %d ## headings, want 4 (one per stage)", n)
		}
		if m := regexp.MustCompile(`(?:^|[^\\])<[a-zA-Z/!?]`).FindString(md); m != "" {
			t.Errorf("md holds unescaped HTML: %q", m)
		}
		got := map[string]bool{}
		for _, item := range mdItems(md) {
			got[item] = true
		}
		for _, text := range texts {
			if !got[text] {
				t.Errorf("md lacks card %q", text)
			}
		}
		if !strings.Contains(mdUnescape(md), "# "+title+"\n") {
			t.Errorf("md lacks the title as a heading")
		}
	})

	t.Run("filename", func(t *testing.T) {
		res, _ := exportGet(t, srv.URL, w.ID, w.FacilitatorKey, "md")
		cd := res.Header.Get("Content-Disposition")
		i := strings.Index(cd, "filename*=UTF-8''")
		if i < 0 || !strings.HasPrefix(cd, `attachment; filename="withboard-b-n-code-b-quotes-`) {
			t.Fatalf("Content-Disposition %q", cd)
		}
		full, err := url.PathUnescape(cd[i+len("filename*=UTF-8''"):])
		if err != nil || !strings.HasPrefix(full, "withboard-b-ünïcode-b-quotes-שלום-") || !strings.HasSuffix(full, ".md") {
			t.Errorf("filename*: got %q (%v)", full, err)
		}
	})
}

var (
	mdSuffixRe = regexp.MustCompile(`(?s) — (?:[A-Z][a-z]+, )?\d+ votes?(?:, agreed)?$`)
	mdEscapeRe = regexp.MustCompile("\\\\(?:[!-/:-@\\[-`{-~]|\n)")
)

// mdUnescape reads back Markdown escapes and hard line breaks.
func mdUnescape(s string) string {
	return mdEscapeRe.ReplaceAllStringFunc(s, func(m string) string { return m[1:] })
}

// mdItems returns the text of every card item of an export: list items
// with their continuation lines, without their vote counts, unescaped.
func mdItems(md string) []string {
	lines := strings.Split(md, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "- ") {
			continue
		}
		item := lines[i][2:]
		for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], "  ") ||
			lines[i+1] == "" && i+2 < len(lines) && strings.HasPrefix(lines[i+2], "  ")) {
			i++
			item += "\n" + strings.TrimPrefix(lines[i], "  ")
		}
		if mdSuffixRe.MatchString(item) {
			out = append(out, mdUnescape(mdSuffixRe.ReplaceAllString(item, "")))
		}
	}
	return out
}

// TestExportAccess checks who may export and how refusals read.
func TestExportAccess(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Access")
	gone := createWorkshop(t, srv.URL, "Deleted")
	req, _ := http.NewRequest("DELETE", srv.URL+"/api/workshops/"+gone.ID, nil)
	req.Header.Set("Authorization", "Bearer "+gone.FacilitatorKey)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", res, err)
	}
	tests := []struct {
		name, id, key, format string
		want                  int
	}{
		{"no key", w.ID, "", "json", 401},
		{"wrong key", w.ID, "not-the-key", "csv", 403},
		{"another workshop's key", w.ID, gone.FacilitatorKey, "md", 403},
		{"unknown workshop", uuid.NewString(), w.FacilitatorKey, "html", 404},
		{"deleted workshop", gone.ID, gone.FacilitatorKey, "json", 404},
		{"unknown format", w.ID, w.FacilitatorKey, "pdf", 400},
		{"no format means json", w.ID, w.FacilitatorKey, "", 200},
		{"open workshop", w.ID, w.FacilitatorKey, "html", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := exportGet(t, srv.URL, tt.id, tt.key, tt.format)
			if res.StatusCode != tt.want {
				t.Fatalf("got status %d, want %d", res.StatusCode, tt.want)
			}
			if tt.want == 200 {
				return
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("error body %s: want {\"error\":{\"code\",\"message\"}}", body)
			}
		})
	}
}

// TestExportAfterRestart exports a closed workshop from a new server on
// the same data directory.
func TestExportAfterRestart(t *testing.T) {
	dir := t.TempDir()
	store, err := hub.OpenEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := newTestServer(t, store)
	w, p := scriptWorkshop(t, first.URL)
	before := exportOK(t, first.URL, w, "csv")
	for _, c := range []*wsClient{p.fac, p.staff, p.sam, p.anon} {
		c.ws.Close()
	}
	if err := first.hub.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	first.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	store, err = hub.OpenEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	second := newTestServer(t, store)
	if after := exportOK(t, second.URL, w, "csv"); !bytes.Equal(after, before) {
		t.Errorf("csv after restart:\n%s\nwant\n%s", after, before)
	}
	var doc struct{ Workshop struct{ Phase board.Phase } }
	if err := json.Unmarshal(exportOK(t, second.URL, w, "json"), &doc); err != nil || doc.Workshop.Phase != board.PhaseClosed {
		t.Errorf("json after restart: phase %q (%v), want closed", doc.Workshop.Phase, err)
	}
}
