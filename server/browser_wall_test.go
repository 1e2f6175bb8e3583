package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Browser tests of the wall, /w/{code}: the board for a projector. The
// cards reach the board through WebSockets of the test's own, the wall
// is a real page in a real Chromium.

// wallReady is true once the wall is live and has drawn its board.
const wallReady = `document.getElementById('conn')?.dataset.state === 'live' && !document.getElementById('wall-screen').hidden`

// wallText is a JavaScript expression for all the text the wall shows.
const wallText = `document.body.innerText`

// wallSpread is how many cards a busy workshop has in each cell, stage
// by stage, level by level; the rest of wallCards go to the tray.
var wallSpread = [4][3]int{{6, 2, 1}, {1, 5, 2}, {0, 2, 1}, {1, 0, 2}}

const wallCards = 25

var (
	wallStages = []string{"plan", "do", "assess", "review"}
	wallLevels = []string{"consultation", "conversation", "participation"}
)

// ideaWords make the cards' texts: plain ideas, like a real workshop's.
var ideaWords = strings.Fields(`co-write the survey questions with the youth panel and test
them with two members before anything is sent out, then pay people for their time and
share every finding back in plain words at the drop-in session on Thursday evenings`)

// idea returns card text number i, of exactly n characters, unlike any other.
func idea(i, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d. ", i+1)
	for w := i; b.Len() < n; w++ {
		b.WriteString(ideaWords[w%len(ideaWords)])
		b.WriteByte(' ')
	}
	s := strings.TrimRight(b.String()[:n-1], " ")
	return s + strings.Repeat(".", n-len(s))
}

// wallBoard is a workshop with a facilitator and a participant on the
// wire, and the texts of the cards the participant put in each place.
type wallBoard struct {
	w       created
	fac     *wsClient
	sam     *wsClient
	ids     []string // card ids in the order added
	texts   []string
	inCells int
}

// fillWall makes workshop w busy: wallCards cards, most of 80
// characters, spread over the cells as wallSpread says, two in the tray.
func fillWall(t *testing.T, base string, w created) *wallBoard {
	t.Helper()
	wb := &wallBoard{w: w, fac: dial(t, base), sam: dial(t, base)}
	wb.fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
	wb.sam.join(map[string]any{"code": w.Code, "role": "serviceUser", "name": "Sam"})
	add := func(stage, level any) {
		n := len(wb.texts)
		size := 80
		if n%5 == 4 {
			size = 24 + n // a few shorter ones, as people write
		}
		wb.texts = append(wb.texts, idea(n, size))
		op := addCard(wb.texts[n], stage, level)
		if _, code := wb.sam.ack(wb.sam.op(op)); code != "" {
			t.Fatalf("card.add: %s", code)
		}
		wb.ids = append(wb.ids, op["card"].(map[string]any)["id"].(string))
	}
	for s, row := range wallSpread {
		for l, n := range row {
			for range n {
				add(wallStages[s], wallLevels[l])
				wb.inCells++
			}
		}
	}
	for len(wb.texts) < wallCards {
		add(nil, nil)
	}
	return wb
}

// do sends an op as the facilitator and fails the test if it is refused.
func (wb *wallBoard) do(t *testing.T, c *wsClient, op map[string]any) int64 {
	t.Helper()
	v, code := c.ack(c.op(op))
	if code != "" {
		t.Fatalf("%v: %s", op["kind"], code)
	}
	return v
}

// openWall opens the wall of w in a new tab of w x h.
func openWall(b *browser, name string, w created, width, height int) *tab {
	b.t.Helper()
	wall := b.open(name, width, height)
	wall.goTo("/w/"+w.Code, wallReady)
	return wall
}

// wallFit is what the wall shows, measured in the page.
type wallFit struct {
	Shown, More, InCells int     // cards shown, the sum of "+N more", cards the board has in cells
	MinFont              float64 // the smallest font size of a shown card's text
	ScrollW, ScrollH     int
	W, H                 int
	Outside              []string // cards not wholly inside the viewport and their cell
	Rows                 map[string]float64
}

const measureWall = `(() => {
	const vw = innerWidth, vh = innerHeight;
	const inside = (r, box) => r.left >= box.left - 0.5 && r.top >= box.top - 0.5 && r.right <= box.right + 0.5 && r.bottom <= box.bottom + 0.5;
	const screen = { left: 0, top: 0, right: vw, bottom: vh };
	const shown = [...document.querySelectorAll('.wall-card')].filter((c) => c.getClientRects().length > 0);
	const outside = [];
	for (const c of shown) {
		const r = c.getBoundingClientRect();
		const text = c.querySelector('.wall-card-text').getBoundingClientRect();
		const wide = [...c.children].some((part) => [...part.getClientRects()].some((line) => !inside(line, r)));
		if (wide || !inside(r, screen) || !inside(text, screen) || !inside(r, c.closest('.wall-cards').getBoundingClientRect())) {
			outside.push(c.innerText.slice(0, 40) + ' at ' + JSON.stringify(r));
		}
	}
	for (const m of document.querySelectorAll('.wall-more')) {
		if (m.getClientRects().length > 0 && !inside(m.getBoundingClientRect(), m.parentElement.getBoundingClientRect())) outside.push(m.textContent);
	}
	const more = [...document.querySelectorAll('.wall-more')].filter((m) => !m.hidden).map((m) => parseInt(m.textContent.match(/\+(\d+) more/)[1], 10));
	const fonts = shown.map((c) => parseFloat(getComputedStyle(c.querySelector('.wall-card-text')).fontSize));
	const rows = {};
	for (const c of document.querySelectorAll('.wall-cell[data-level=consultation]')) rows[c.dataset.stage] = c.getBoundingClientRect().height;
	return {
		shown: shown.length, more: more.reduce((a, b) => a + b, 0), inCells: document.querySelectorAll('.wall-cell .wall-card').length,
		minFont: Math.min(...fonts), scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight,
		w: vw, h: vh, outside, rows,
	};
})()`

// checkFits fails the test unless the whole wall fits the tab's screen,
// with card text of at least floor pixels and every card in a cell either
// shown or counted in a "+N more".
func checkFits(t *testing.T, wall *tab, inCells int, floor float64) wallFit {
	t.Helper()
	wall.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`, nil)
	var got wallFit
	wall.eval(measureWall, &got)
	if got.ScrollH > got.H || got.ScrollW > got.W {
		t.Errorf("%s: the page is %dx%d, more than the screen's %dx%d: it scrolls", wall.name, got.ScrollW, got.ScrollH, got.W, got.H)
	}
	for _, o := range got.Outside {
		t.Errorf("%s: a card is not wholly on the screen and in its cell: %s", wall.name, o)
	}
	if got.MinFont < floor {
		t.Errorf("%s: card text of %.1f px, want at least %.0f px", wall.name, got.MinFont, floor)
	}
	if got.InCells != inCells {
		t.Errorf("%s: %d cards in the cells, want %d", wall.name, got.InCells, inCells)
	}
	if got.Shown+got.More != inCells {
		t.Errorf("%s: %d cards shown and %d more counted, want %d in all", wall.name, got.Shown, got.More, inCells)
	}
	return got
}

// TestBrowserWallFits: a busy board fits one projector screen, at
// 1920x1080 and at 1280x720, without scrolling, with text large enough to
// read from the back of a room, and the focused stage larger.
func TestBrowserWallFits(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "How members shape our survey")
	wb := fillWall(t, srv.URL, w)
	// What a workshop under way has: votes, an agreed level with its
	// consent, an agreed card, a timer.
	for _, id := range wb.ids[:3] {
		wb.do(t, wb.sam, map[string]any{"kind": "card.vote", "cardId": id, "delta": 1})
	}
	wb.do(t, wb.fac, map[string]any{"kind": "stage.agree", "stage": "do", "level": "conversation", "note": ""})
	wb.do(t, wb.sam, map[string]any{"kind": "consent.set", "stage": "do", "answer": "agree"})
	wb.do(t, wb.fac, map[string]any{"kind": "card.agree", "cardId": wb.ids[7], "agreed": true})
	wb.do(t, wb.fac, map[string]any{"kind": "timer.set", "seconds": 300})
	b := newBrowser(t, srv.URL)

	for _, size := range []struct {
		w, h  int
		floor float64
	}{{1920, 1080, 20}, {1280, 720, 14}} {
		name := fmt.Sprintf("wall-%d", size.w)
		t.Run(name, func(t *testing.T) {
			wall := openWall(b, name, w, size.w, size.h)
			wall.wait(fmt.Sprintf(`document.querySelectorAll('.wall-cell .wall-card').length === %d`, wb.inCells))
			checkFits(t, wall, wb.inCells, size.floor)
			if !wall.truth(`document.getElementById('tray').textContent === '2 ideas not placed yet'`) {
				t.Errorf("tray: got %q, want 2 ideas not placed yet", wall.str(`document.getElementById('tray').textContent`))
			}
			if text := wall.str(wallText); !strings.Contains(text, "Agreed · 1 agree, 0 not sure, 0 disagree") || !strings.Contains(text, "1 vote") {
				t.Errorf("the agreed level with its consent, and votes, not on the wall:\n%s", text)
			}
			if !wall.truth(`document.getElementById('join-link').hidden && !document.getElementById('join').hidden`) {
				t.Errorf("served from this computer's loopback, the wall shows a join link phones cannot reach")
			}
			wall.shot(name + "-open")

			wb.do(t, wb.fac, map[string]any{"kind": "focus.set", "stage": "do"})
			wall.wait(`document.querySelector('.wall-stage.focused')?.textContent.includes('Everyone is looking here')`)
			got := checkFits(t, wall, wb.inCells, size.floor)
			for stage, h := range got.Rows {
				if stage != "do" && h >= got.Rows["do"] {
					t.Errorf("focused stage Do is %.0f px high, %s %.0f px: want the focused row taller", got.Rows["do"], stage, h)
				}
			}
			wall.shot(name + "-focus")
			wb.do(t, wb.fac, map[string]any{"kind": "focus.set", "stage": nil})
		})
	}
}

// TestBrowserWallPrivate: in the private phase the wall shows cards face
// down and none of their text, also when it comes back from a reload with
// the board it kept; the reveal turns them up.
func TestBrowserWallPrivate(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Private ideas")
	wb := &wallBoard{w: w, fac: dial(t, srv.URL), sam: dial(t, srv.URL)}
	wb.fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
	wb.sam.join(map[string]any{"code": w.Code, "role": "staff", "name": "Sam Private"})
	wb.do(t, wb.fac, addCard("An open idea everyone saw", "plan", "conversation"))
	b := newBrowser(t, srv.URL)
	wall := openWall(b, "wall", w, projectorW, projectH)
	wall.wait(`document.body.innerText.includes('An open idea everyone saw')`)

	wb.do(t, wb.fac, map[string]any{"kind": "phase.set", "phase": "private"})
	secrets := []string{"My secret worry about the survey", "Pay people for interviews", "A private note in the tray"}
	places := [][2]any{{"plan", "consultation"}, {"do", "participation"}, {nil, nil}}
	for i, text := range secrets {
		wb.do(t, wb.sam, addCard(text, places[i][0], places[i][1]))
	}
	noSecrets := func(when string) {
		t.Helper()
		text := wall.str(wallText)
		for _, s := range append(secrets, "Sam Private", "An open idea everyone saw") {
			if strings.Contains(text, s) {
				t.Errorf("%s: the wall shows %q in the private phase", when, s)
			}
		}
	}
	wall.wait(`document.querySelectorAll('.wall-card.face-down').length === 3`)
	wall.waitText("#phase", "Private")
	noSecrets("live")
	if got := wall.str(`document.querySelector('.wall-card.face-down .wall-card-text').textContent`); got != "An idea, hidden until the reveal" {
		t.Errorf("a face-down card says %q", got)
	}
	wall.shot("wall-private")

	wall.eval(`new Promise((r) => setTimeout(r, 1000))`, nil) // the board is kept a moment after a change
	wall.do(chromedp.Reload())
	wall.wait(`document.querySelectorAll('.wall-card.face-down').length === 3`)
	noSecrets("after a reload")
	wall.wait(wallReady)
	noSecrets("after a reload, live")

	wb.do(t, wb.fac, map[string]any{"kind": "phase.set", "phase": "open"})
	wall.wait(`document.querySelectorAll('.wall-card.face-down').length === 0`)
	for _, s := range secrets[:2] {
		wall.waitText("#board", s)
	}
	if text := wall.str(wallText); strings.Contains(text, "Sam Private") || !strings.Contains(text, "1 idea not placed yet") {
		t.Errorf("after the reveal: want the tray counted and no names:\n%s", text)
	}
	wall.shot("wall-revealed")
}

// TestBrowserWallJoinsResultsEnd: with joins closed a wall without the
// key is told why it cannot connect, one opened with #key= connects and
// hides how to join; votes and consent stay off the wall while results
// are hidden; a consent round is announced; at the end the wall shows
// the summary's link instead of the QR code; a deleted workshop is gone.
func TestBrowserWallJoinsResultsEnd(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Joins and results")
	wb := &wallBoard{w: w, fac: dial(t, srv.URL), sam: dial(t, srv.URL)}
	wb.fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
	wb.sam.join(map[string]any{"code": w.Code, "role": "serviceUser"})
	add := addCard("Ask members to pick the questions", "plan", "participation")
	wb.do(t, wb.sam, add)
	cardID := add["card"].(map[string]any)["id"]
	b := newBrowser(t, srv.URL)

	wb.do(t, wb.fac, map[string]any{"kind": "joins.set", "open": false})
	locked := b.open("wall-locked", laptopW, laptopH)
	locked.goTo("/w/"+w.Code, `!document.getElementById('stopped').hidden`)
	if text := locked.str(`document.getElementById('stopped-message').textContent`); !strings.Contains(text, "Joining is closed") || !strings.Contains(text, "Show on a second screen") {
		t.Errorf("locked wall says %q, want why and what to do", text)
	}
	locked.shot("wall-locked")

	wall := b.open("wall", projectorW, projectH)
	wall.goTo("/w/"+w.Code+"#key="+w.FacilitatorKey, wallReady)
	if wall.truth(`location.href.includes('key=')`) {
		t.Errorf("the key is still in the address bar")
	}
	if !wall.truth(`document.getElementById('join').hidden && !document.getElementById('qr').offsetParent`) {
		t.Errorf("joins closed: the wall still shows how to join")
	}
	wall.do(chromedp.Reload())
	wall.wait(wallReady) // the key was kept for this tab
	wb.do(t, wb.fac, map[string]any{"kind": "joins.set", "open": true})
	wall.wait(`!document.getElementById('join').hidden && document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0`)
	if got := wall.str(`document.getElementById('join-code').textContent`); got != w.Code[:3]+"-"+w.Code[3:] {
		t.Errorf("join code on the wall: %q", got)
	}
	var links struct{ JoinURL string }
	req, _ := http.NewRequest("GET", srv.URL+"/api/workshops/"+w.ID+"/links", nil)
	req.Header.Set("Authorization", "Bearer "+w.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&links)
	res.Body.Close()
	if got, want := wall.str(`document.getElementById('join-link').textContent`), strings.TrimPrefix(links.JoinURL, "http://"); got != want || want == "" {
		t.Errorf("join link on the wall: %q, want %q, the short link phones can reach", got, want)
	}

	wb.do(t, wb.fac, map[string]any{"kind": "results.set", "shown": false})
	wb.do(t, wb.fac, map[string]any{"kind": "stage.agree", "stage": "plan", "level": "participation", "note": ""})
	wb.do(t, wb.sam, map[string]any{"kind": "card.vote", "cardId": cardID, "delta": 1})
	wb.do(t, wb.sam, map[string]any{"kind": "card.vote", "cardId": cardID, "delta": 1})
	wb.do(t, wb.sam, map[string]any{"kind": "consent.set", "stage": "plan", "answer": "unsure"})
	wb.do(t, wb.fac, map[string]any{"kind": "consent.round", "stage": "plan"})
	wall.waitText("#round", "Consent for Plan: answer on your phones")
	text := wall.str(wallText)
	if strings.Contains(text, "vote") || strings.Contains(text, "not sure") {
		t.Errorf("results hidden: the wall shows votes or consent:\n%s", text)
	}
	if !wall.truth(`document.querySelector('.wall-cell.agreed[data-stage=plan][data-level=participation] .wall-agreed')?.textContent === 'Agreed'`) {
		t.Errorf("the agreed level of Plan is not marked on the wall")
	}
	wall.shot("wall-results-hidden")

	wb.do(t, wb.fac, map[string]any{"kind": "results.set", "shown": true})
	wall.waitText("#board", "2 votes")
	wall.waitText("#board", "Agreed · 0 agree, 1 not sure, 0 disagree")
	checkFits(t, wall, 1, 20) // one card in large type, its votes too
	wall.shot("wall-results-shown")

	wb.do(t, wb.fac, map[string]any{"kind": "phase.set", "phase": "closed"})
	wall.wait(`!document.getElementById('ended').hidden`)
	if !wall.truth(`document.getElementById('join').hidden && !document.getElementById('qr').offsetParent`) {
		t.Errorf("closed: the wall still asks people to join")
	}
	if !wall.truth(`document.getElementById('round').hidden`) {
		t.Errorf("closed: the wall still asks for consent")
	}
	if wall.truth(`[...document.querySelectorAll('.wall-looking')].some((el) => !el.hidden)`) {
		t.Errorf("closed: the wall still draws everyone to a stage")
	}
	text = wall.str(`document.getElementById('ended').innerText`)
	if !strings.Contains(text, "This workshop has ended") || !strings.Contains(text, "/s/"+w.Code) {
		t.Errorf("closed: the wall says %q, want the end and the summary's link", text)
	}
	wall.shot("wall-closed")

	req, _ = http.NewRequest("DELETE", srv.URL+"/api/workshops/"+w.ID, nil)
	req.Header.Set("Authorization", "Bearer "+w.FacilitatorKey)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	wall.wait(`!document.getElementById('stopped').hidden`)
	wall.waitText("#stopped-message", "This workshop is gone")
}

// TestBrowserWallAxe: the wall of a workshop under way passes axe-core.
func TestBrowserWallAxe(t *testing.T) {
	axe := needAxe(t)
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Accessible wall")
	wb := fillWall(t, srv.URL, w)
	wb.do(t, wb.fac, map[string]any{"kind": "stage.agree", "stage": "plan", "level": "consultation", "note": ""})
	wb.do(t, wb.fac, map[string]any{"kind": "consent.round", "stage": "plan"})
	wb.do(t, wb.fac, map[string]any{"kind": "timer.set", "seconds": 120})
	wb.do(t, wb.fac, map[string]any{"kind": "card.agree", "cardId": wb.ids[0], "agreed": true})
	b := newBrowser(t, srv.URL)
	wall := openWall(b, "wall", w, projectorW, projectH)
	wall.wait(`document.querySelector('.wall-stage.focused') && !document.getElementById('timer').hidden`)
	wall.axeCheck("open, with a consent round", axe)
	wb.do(t, wb.fac, map[string]any{"kind": "phase.set", "phase": "private"})
	wb.do(t, wb.sam, addCard("A private one", "do", "conversation"))
	wall.wait(`document.querySelector('.wall-card.face-down')`)
	wall.axeCheck("private", axe)
}
