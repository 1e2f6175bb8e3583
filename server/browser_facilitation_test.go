package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserFacilitation (issue "Facilitation"): the facilitator runs a
// whole session from the facilitator page with two phones joined: private
// ideas reach the other phone face down, the reveal shows them, people
// vote, the facilitator agrees a level for a stage and marks an agreed
// card, the phones answer the consent round, the board is paused and
// closed, and the phones get a link to the take-home summary. On the way
// it checks the projector view and whose voice the board shows, and takes
// the screenshots of every phase.
func TestBrowserFacilitation(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "How members shape our survey")
	b := newBrowser(t, srv.URL)
	fac := b.facilitator(w)
	sam := b.joinPhone("phone-sam", w, "serviceUser", "Sam")
	kim := b.joinPhone("phone-kim", w, "staff", "")
	fac.waitText("#people-summary", "2 online, 2 joined")

	shots := func(phase string) {
		for _, p := range []*tab{sam, fac} {
			p.eval(`window.scrollTo({ top: 0, behavior: 'instant' })`, nil)
		}
		sam.shot("phone-" + phase)
		sam.shot("phone-" + phase + "-full")
		fac.shot("facilitator-" + phase)
		fac.shot("facilitator-" + phase + "-full")
	}

	// Open: ideas are seen by everyone as they come.
	sam.addCard("Ask members which questions matter most", "plan/consultation")
	fac.card("Ask members which questions matter most")
	kim.card("Ask members which questions matter most")
	shots("open")

	// Private: each phone sees its own text and the other's card face down.
	fac.clickJS(buttonJS(".phase-buttons", "Private"))
	for _, p := range []*tab{sam, kim, fac} {
		p.phase("private")
	}
	samIdea := "Members co-write the survey with us"
	kimIdea := "Staff and the youth panel test the survey together"
	sam.addCard(samIdea, "plan/participation")
	kim.addCard(kimIdea, "plan/participation")
	sam.waitSent()
	kim.waitSent()
	for _, tt := range []struct {
		p          *tab
		own, other string
		hidden     int // every card of someone else is face down
	}{{sam, samIdea, kimIdea, 1}, {kim, kimIdea, samIdea, 2}} {
		tt.p.card(tt.own)
		tt.p.wait(fmt.Sprintf(`document.querySelectorAll('#board .card.hidden-card').length === %d`, tt.hidden))
		if tt.p.truth(`document.body.textContent.includes(` + jsString(tt.other) + `)`) {
			t.Errorf("%s: private phase shows another person's text %q", tt.p.name, tt.other)
		}
	}
	fac.card(samIdea)
	fac.card(kimIdea)
	shots("private")

	// Reveal: back to open, everyone reads everything.
	fac.clickJS(buttonJS(".phase-buttons", "Open"))
	sam.card(kimIdea)
	kim.card(samIdea)
	if n := sam.num(`document.querySelectorAll('#board .card.hidden-card').length`); n != 0 {
		t.Errorf("after the reveal: %d cards still face down on a phone, want 0", n)
	}

	// Vote: each phone votes for the other's idea; Sam votes twice.
	sam.clickJS(buttonJS(sam.card(kimIdea), "Vote"))
	sam.waitText(sam.card(kimIdea)+" .my-votes", "Your votes: 1")
	sam.clickJS(buttonJS(sam.card(kimIdea), "Vote"))
	kim.clickJS(buttonJS(kim.card(samIdea), "Vote"))
	fac.waitText(fac.card(kimIdea)+" .card-meta", "2 votes")
	fac.waitText(fac.card(samIdea)+" .card-meta", "1 vote")
	sam.waitText("#votes-left", "Votes left: 1 of 3")

	// Whose voice, per stage: cards and votes by service users and staff.
	fac.waitText("#stage-plan .stage-voice", "service users: 2 cards, 2 votes")
	fac.waitText("#stage-plan .stage-voice", "staff: 1 card, 1 vote")
	sam.waitText("#stage-plan .stage-voice", "service users: 2 cards, 2 votes") // phones count votes by role too

	// The projector: focus a stage, start a timer, show the board only.
	fac.do(setSelect("#focus-stage", "plan"))
	sam.wait(`!document.getElementById('focus-note').hidden`)
	fac.click(`#controls form.inline button[type=submit]`)
	fac.wait(`!document.getElementById('timer').hidden`)
	sam.wait(`document.getElementById('timer').textContent.includes('Time left')`)
	fac.click("#board-only")
	checkProjector(t, fac, w)
	fac.shot("projector-1280")
	fac.resize(projectorW, projectH)
	checkProjector(t, fac, w)
	fac.shot("projector-1920")
	fac.resize(laptopW, laptopH)
	fac.click("#board-only")
	fac.wait(`getComputedStyle(document.querySelector('.side')).display !== 'none'`)

	// Agree a level for Plan and mark an agreed card.
	fac.do(setSelect("#agree-plan", "participation"))
	fac.typeInto("#note-plan", "Members help choose what we measure")
	fac.clickJS(buttonJS("#stage-plan .stage-agree", "Save"))
	fac.wait(`document.querySelector('#stage-plan .cell[data-level=participation]').classList.contains('agreed-level')`)
	fac.click(fac.card(kimIdea) + " .card-main")
	fac.clickJS(buttonJS(".picked", "Mark as agreed action"))
	fac.wait(`document.querySelector(` + jsString(fac.card(kimIdea)) + `).classList.contains('agreed')`)
	fac.clickJS(buttonJS(".picked", "Done"))
	sam.wait(`document.querySelector(` + jsString(sam.card(kimIdea)) + `).classList.contains('agreed')`)

	// Consent from the phones; the facilitator sees the counts. Sam
	// changes their mind once, which must not count twice.
	for _, p := range []*tab{sam, kim} {
		p.wait(`!document.querySelector('#stage-plan .consent').hidden`)
		checkConsentButtons(t, p)
	}
	sam.tapJS(buttonJS("#stage-plan .consent", "Not sure"))
	fac.waitText("#stage-plan .counts", "Consent: 0 agree, 1 not sure, 0 disagree")
	sam.tapJS(buttonJS("#stage-plan .consent", "Agree"))
	kim.tapJS(buttonJS("#stage-plan .consent", "Disagree"))
	fac.waitText("#stage-plan .counts", "Consent: 1 agree, 0 not sure, 1 disagree")
	sam.waitText("#stage-plan .consent", "Your answer: Agree")
	sam.do(chromedp.ScrollIntoView(chromedp.CSS("#stage-plan .consent")))
	sam.shot("phone-consent")

	// A phone that lost its copy of the board learns its own answer from
	// the server (myConsent), not from a guess.
	sam.eval(`localStorage.removeItem('withboard:' + `+jsString(w.Code)+` + ':board'); history.scrollRestoration = 'manual'`, nil)
	sam.do(chromedp.Reload())
	sam.waitLive()
	sam.waitText("#stage-plan .consent", "Your answer: Agree")
	if got := sam.str(`document.querySelector('#stage-plan .consent button[aria-pressed=true]')?.textContent`); got != "Agree" {
		t.Errorf("after a reload with no kept board: pressed consent answer %q, want Agree", got)
	}

	// Paused, then closed.
	fac.clickJS(buttonJS(".phase-buttons", "Paused"))
	for _, p := range []*tab{sam, kim, fac} {
		p.phase("locked")
	}
	if sam.truth(`document.querySelector('#new-text').offsetParent`) {
		t.Errorf("paused: the phone can still write a card")
	}
	shots("locked")
	fac.clickJS(buttonJS(".phase-buttons", "Finished"))
	for _, p := range []*tab{sam, kim, fac} {
		p.phase("closed")
	}
	summary := fmt.Sprintf(`a[href=%q]`, "/s/"+w.Code)
	sam.wait(`document.querySelector(` + jsString(summary) + `)?.offsetParent`)
	shots("closed")

	// The summary link leads to what was agreed, naming no one.
	res, err := http.Get(srv.URL + "/s/" + w.Code)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), kimIdea) || strings.Contains(string(body), "Sam") {
		t.Errorf("summary: status %d, want 200 with the agreed card and no names", res.StatusCode)
	}
	sam.tap(summary)
	sam.wait(`location.pathname === ` + jsString("/s/"+w.Code))
	sam.waitText("body", kimIdea)
	sam.shot("phone-summary")
}

// checkProjector checks the facilitator page in "Board only": join code
// and QR big enough for the back of the room, the board, the timer and the
// focused stage, and none of the facilitator's controls.
func checkProjector(t *testing.T, fac *tab, w created) {
	t.Helper()
	fac.wait(`document.body.classList.contains('board-only')`)
	var got struct {
		QR, Code, Visible float64
		Controls          []string
		Timer, Focus      bool
		CodeText          string
	}
	fac.eval(`(() => {
		const shown = (el) => el && el.offsetParent !== null && getComputedStyle(el).visibility !== 'hidden';
		const controls = [...document.querySelectorAll('button, input, select, textarea')]
			.filter((el) => shown(el) && el.id !== 'board-only' && !el.closest('.card'))
			.map((el) => el.id || el.textContent.trim() || el.tagName);
		return {
			qr: document.getElementById('qr').getBoundingClientRect().width,
			code: parseFloat(getComputedStyle(document.getElementById('join-code')).fontSize),
			codeText: document.getElementById('join-code').textContent,
			controls,
			timer: shown(document.getElementById('timer')),
			focus: shown(document.querySelector('#stage-plan.focus .stage-head')),
		};
	})()`, &got)
	if got.QR < 0.18*float64(fac.h) {
		t.Errorf("projector at %dx%d: QR code %.0f px wide, want at least %.0f", fac.w, fac.h, got.QR, 0.18*float64(fac.h))
	}
	if got.Code < 0.045*float64(fac.h) {
		t.Errorf("projector at %dx%d: join code %.0f px high, want at least %.0f", fac.w, fac.h, got.Code, 0.045*float64(fac.h))
	}
	if got.CodeText != w.Code[:3]+"-"+w.Code[3:] {
		t.Errorf("projector: join code reads %q, want %s-%s", got.CodeText, w.Code[:3], w.Code[3:])
	}
	if len(got.Controls) > 0 {
		t.Errorf("projector at %dx%d: facilitator controls on screen: %v", fac.w, fac.h, got.Controls)
	}
	if !got.Timer || !got.Focus {
		t.Errorf("projector at %dx%d: timer shown %v, focused stage shown %v; want both", fac.w, fac.h, got.Timer, got.Focus)
	}
}

// checkConsentButtons checks that each consent answer is one unbroken
// word group in a target of at least 44 x 44 CSS pixels.
func checkConsentButtons(t *testing.T, p *tab) {
	t.Helper()
	var buttons []struct {
		Text      string
		W, H      float64
		Lines     int
		Overflows bool
	}
	p.eval(`[...document.querySelectorAll('#stage-plan .consent-ask button')].map((b) => {
		const r = b.getBoundingClientRect();
		const range = document.createRange();
		range.selectNodeContents(b);
		const lines = new Set([...range.getClientRects()].map((x) => Math.round(x.top))).size;
		return { text: b.textContent, w: r.width, h: r.height, lines, overflows: b.scrollWidth > b.clientWidth };
	})`, &buttons)
	if len(buttons) != 3 {
		t.Fatalf("%s: %d consent buttons, want 3", p.name, len(buttons))
	}
	for _, b := range buttons {
		if b.W < 44 || b.H < 44 {
			t.Errorf("%s: consent button %q is %.0fx%.0f px, want at least 44x44", p.name, b.Text, b.W, b.H)
		}
		if words := len(strings.Fields(b.Text)); b.Lines > words || b.Overflows {
			t.Errorf("%s: consent button %q breaks inside a word (%d lines) or overflows (%v)", p.name, b.Text, b.Lines, b.Overflows)
		}
	}
}
