package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// fetch GETs path and returns the answer with its body.
func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// TestRecordGrid: the printable record draws the grid, with each stage's
// agreed level marked in words and by a border, not by colour, credits
// its source, is laid out for A4 and holds nothing that runs; its file is
// named after the day of the export, not of the workshop.
func TestRecordGrid(t *testing.T) {
	store, err := hub.OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := newTestServer(t, store)
	key := hub.NewSecret()
	held := time.Date(2020, 1, 2, 15, 0, 0, 0, time.UTC)
	ws := board.Workshop{ID: "6f1d3c6e-5b7a-4c9e-9d7e-2a1b3c4d5e6f", Code: "GRDGRD", Title: "Grid record", KeyHash: hub.Hash(key), CreatedAt: held}
	if err := store.CreateWorkshop(t.Context(), ws); err != nil {
		t.Fatal(err)
	}
	w := created{ID: ws.ID, Code: ws.Code, Title: ws.Title, FacilitatorKey: key}
	fac := dial(t, srv.URL)
	fac.join(map[string]any{"code": w.Code, "key": key})
	p := dial(t, srv.URL)
	p.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	p.ack(p.op(addCard("Co-write the questions", "plan", "participation")))
	p.ack(p.op(addCard("Test it on phones", "plan", "participation")))
	p.ack(p.op(addCard("Share the results", "review", "consultation")))
	for _, op := range []map[string]any{
		{"kind": "stage.agree", "stage": "plan", "level": "participation"},
		{"kind": "stage.agree", "stage": "review", "level": "conversation"},
	} {
		if _, code := fac.ack(fac.op(op)); code != "" {
			t.Fatalf("%v refused: %s", op, code)
		}
	}

	before := time.Now().UTC().Format("2006-01-02")
	res, body := exportGet(t, srv.URL, w.ID, key, "html")
	after := time.Now().UTC().Format("2006-01-02")
	page := string(body)
	cd := res.Header.Get("Content-Disposition")
	if !strings.Contains(cd, `filename="withboard-grid-record-`+before+`.html"`) && !strings.Contains(cd, `filename="withboard-grid-record-`+after+`.html"`) {
		t.Errorf("Content-Disposition %q, want withboard-grid-record-%s.html (the export's date)", cd, before)
	}
	if !strings.Contains(page, "Workshop of 2 January 2020") {
		t.Errorf("the record does not give the workshop's own date")
	}

	grid := regexp.MustCompile(`(?s)<figure class="grid".*?</figure>`).FindString(page)
	if grid == "" {
		t.Fatal("the record has no grid")
	}
	rows := regexp.MustCompile(`(?s)<tr><th scope="row">(\w+)<.*?</tr>`).FindAllStringSubmatch(grid, -1)
	if len(rows) != 4 {
		t.Fatalf("grid: got %d stage rows, want 4", len(rows))
	}
	want := map[string]struct {
		agreedColumn int // 0 for none
		cards        []string
	}{
		"Plan":   {3, []string{"no cards", "no cards", "2 cards"}},
		"Do":     {0, []string{"no cards", "no cards", "no cards"}},
		"Assess": {0, []string{"no cards", "no cards", "no cards"}},
		"Review": {2, []string{"1 card", "no cards", "no cards"}},
	}
	cellRe := regexp.MustCompile(`<td( class="agreed")?>(.*?)</td>`)
	for i, row := range rows {
		stage := row[1]
		if stage != []string{"Plan", "Do", "Assess", "Review"}[i] {
			t.Errorf("row %d: got %s", i, stage)
		}
		cells := cellRe.FindAllStringSubmatch(row[0], -1)
		if len(cells) != 3 {
			t.Fatalf("%s: got %d cells, want 3", stage, len(cells))
		}
		for j, c := range cells {
			agreed := want[stage].agreedColumn == j+1
			if got := c[1] != "" && strings.Contains(c[2], "Agreed"); got != agreed {
				t.Errorf("%s column %d: marked agreed %v, want %v (%s)", stage, j+1, got, agreed, c[0])
			}
			if !strings.HasSuffix(c[2], want[stage].cards[j]) {
				t.Errorf("%s column %d: %q, want %q", stage, j+1, c[2], want[stage].cards[j])
			}
		}
	}
	for _, s := range []string{"adapted from the Inspiring Impact guidance by NPC", "<th scope=\"col\">Consultation", "<th scope=\"col\">Conversation", "<th scope=\"col\">Participation"} {
		if !strings.Contains(grid, s) {
			t.Errorf("grid lacks %q", s)
		}
	}
	if !strings.Contains(page, "td.agreed { border: 2.5pt solid #000") || !strings.Contains(page, "@page { size: A4") {
		t.Errorf("the record's style lacks the agreed cell's border or the A4 page")
	}
	if strings.Contains(strings.ToLower(page), "<script") || regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`).MatchString(page) {
		t.Errorf("the record holds a script or an event handler")
	}
}

// TestPlurals: counts of one read as one, in every server-written text.
func TestPlurals(t *testing.T) {
	for _, tt := range []struct {
		a, u, d    int
		line, said string
	}{
		{1, 1, 1, "1 agrees, 1 is unsure and 1 disagrees", "1 said they agree, 1 was unsure and 1 disagreed"},
		{2, 0, 3, "2 agree, no one is unsure and 3 disagree", "2 said they agree, no one was unsure and 3 disagreed"},
		{0, 2, 0, "no one agrees, 2 are unsure and no one disagrees", "no one said they agree, 2 were unsure and no one disagreed"},
	} {
		s := docStage{Agree: tt.a, Unsure: tt.u, Disagree: tt.d}
		if got := s.ConsentLine(); got != tt.line {
			t.Errorf("ConsentLine(%d, %d, %d): got %q, want %q", tt.a, tt.u, tt.d, got, tt.line)
		}
		if got := s.ConsentSaid(); got != tt.said {
			t.Errorf("ConsentSaid(%d, %d, %d): got %q, want %q", tt.a, tt.u, tt.d, got, tt.said)
		}
	}
	for n, want := range map[int]string{0: "no cards", 1: "1 card", 2: "2 cards"} {
		if got := cardCount(n); got != want {
			t.Errorf("cardCount(%d): got %q, want %q", n, got, want)
		}
	}

	// One of everything: no "1 cards", "1 votes", "1 were", "1 agree ".
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "One of each")
	fac := dial(t, srv.URL)
	fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
	staff, user := dial(t, srv.URL), dial(t, srv.URL)
	staff.join(map[string]any{"code": w.Code, "role": "staff"})
	user.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	add := addCard("Only card", "plan", "consultation")
	user.ack(user.op(add))
	staff.ack(staff.op(map[string]any{"kind": "card.vote", "cardId": add["card"].(map[string]any)["id"], "delta": 1}))
	fac.ack(fac.op(map[string]any{"kind": "stage.agree", "stage": "plan", "level": "consultation"}))
	user.ack(user.op(map[string]any{"kind": "consent.set", "stage": "plan", "answer": "unsure"}))
	fac.ack(fac.op(map[string]any{"kind": "phase.set", "phase": "closed"}))

	bad := regexp.MustCompile(`\b1 (cards|votes|were|agree\b|disagree\b|staff members|service users|facilitators)`)
	texts := map[string]string{
		"html": string(exportOK(t, srv.URL, w, "html")),
		"md":   string(exportOK(t, srv.URL, w, "md")),
	}
	_, texts["summary"] = fetch(t, srv.URL+"/s/"+w.Code)
	for name, text := range texts {
		if m := bad.FindString(text); m != "" {
			t.Errorf("%s says %q", name, m)
		}
	}
	for _, want := range []string{"1 facilitator, 1 staff member and 1 service user", "no one said they agree, 1 was unsure and no one disagreed"} {
		if !strings.Contains(texts["summary"], want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

// TestGonePages: where a person may land for a workshop that was deleted
// or never existed (its join page, its summary, its facilitator page),
// they get a plain page that says so, never the API's JSON; a summary
// that is not ready yet leads back to the workshop.
func TestGonePages(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Soon gone")
	res, body := fetch(t, srv.URL+"/s/"+w.Code)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, `href="/j/`+w.Code+`"`) {
		t.Errorf("summary before the end: got %d, want 409 with a link back to the workshop", res.StatusCode)
	}
	for _, path := range []string{"/j/" + w.Code, "/f/" + w.ID} {
		if res, _ := fetch(t, srv.URL+path); res.StatusCode != http.StatusOK {
			t.Errorf("%s while the workshop exists: got %d, want 200", path, res.StatusCode)
		}
	}
	req, _ := http.NewRequestWithContext(context.Background(), "DELETE", srv.URL+"/api/workshops/"+w.ID, nil)
	req.Header.Set("Authorization", "Bearer "+w.FacilitatorKey)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", res, err)
	}
	for _, path := range []string{"/j/" + w.Code, "/s/" + w.Code, "/f/" + w.ID, "/j/ZZZZZZ", "/s/zzz-zzz", "/f/" + "00000000-0000-4000-8000-000000000000"} {
		res, body := fetch(t, srv.URL+path)
		if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: got %d %s, want a 404 page", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if !strings.Contains(body, "was deleted or does not exist") || !strings.Contains(body, `<a href="/">`) || strings.Contains(body, `"error"`) {
			t.Errorf("%s: the page does not say the workshop is gone, with a way on:\n%s", path, body)
		}
		checkSecurityHeaders(t, res.Header)
	}
}
