package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserFacilitation (issues "Facilitation", "The wall and the run
// of a workshop"): the facilitator runs a whole workshop from the steps on
// the facilitator page, with two phones: the private link is offered and
// survives a reload; private ideas stay face down on the facilitator's
// screen unless turned up on purpose; the reveal; votes hidden until
// shown, then shown; a cell sorted by votes; a move undone; who wrote a
// card; a level agreed for Plan; a consent round with "x of y answered";
// joins closed; approval of a new card; the end, with the phones led to
// the summary. Screenshots of each step at 1920x1080 and 390x844.
func TestBrowserFacilitation(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "How members shape our survey")
	b := newBrowser(t, srv.URL)
	fac := b.open("facilitator", projectorW, projectH)
	fac.goTo(w.FacilitatorURL, `document.getElementById('conn')?.dataset.state === 'live'`)

	// The private link: offered once, with copy and email, and kept by the tab.
	fac.wait(`!document.getElementById('keep-link').hidden`)
	if got := fac.str(`document.getElementById('keep-link-url').value`); !strings.HasSuffix(got, "/f/"+w.ID+"#key="+w.FacilitatorKey) {
		t.Errorf("private link shown: %q, want the facilitator link with its key", got)
	}
	if mail := fac.str(`document.getElementById('keep-link-mail').href`); !strings.HasPrefix(mail, "mailto:?subject=") || !strings.Contains(mail, w.FacilitatorKey) {
		t.Errorf("email link %q, want a mailto: with the private link", mail)
	}
	if fac.truth(`location.href.includes('key=')`) {
		t.Errorf("the key is still in the address bar")
	}
	fac.shot("guide-0-new")
	fac.click("#keep-link-done")
	fac.do(chromedp.Reload())
	fac.wait(`document.getElementById('conn')?.dataset.state === 'live'`)
	if !fac.truth(`document.getElementById('keep-link').hidden`) {
		t.Errorf("after a reload: the private link box is back, want it kept away once dismissed")
	}

	sam := b.joinPhone("phone-sam", w, "serviceUser", "Sam")
	kim := b.joinPhone("phone-kim", w, "staff", "")
	fac.waitText("#people-summary", "2 online, 2 joined")

	step := 0
	shots := func(name string) {
		step++
		for _, p := range []*tab{sam, fac} {
			p.eval(`window.scrollTo({ top: 0, behavior: 'instant' })`, nil)
		}
		sam.shot(fmt.Sprintf("guide-%d-%s-phone", step, name))
		fac.shot(fmt.Sprintf("guide-%d-%s-facilitator", step, name))
		if name == "approval" {
			fac.shot("guide-approval-facilitator-full")
		}
	}
	current := func(title string) {
		t.Helper()
		fac.wait(`document.querySelector('#guide [aria-current=step] .step-title')?.textContent === ` + jsString(title))
	}
	press := func(label string) {
		t.Helper()
		fac.clickJS(buttonJS("#guide", label))
	}

	// 1. Welcome and join.
	current("Welcome and join")
	fac.wait(`document.getElementById('join-code').textContent === ` + jsString(w.Code[:3]+"-"+w.Code[3:]))
	shots("welcome")

	// 2. Ideas in private: other people's text is face down on the
	// facilitator's screen too, until turned up on purpose.
	press("Next: Ideas in private")
	current("Ideas in private")
	press("Start private ideas")
	for _, p := range []*tab{sam, kim, fac} {
		p.phase("private")
	}
	sam.wait(`document.getElementById('timer').textContent.includes('Time left')`)
	samIdea := "Members co-write the survey with us"
	kimIdea := "Staff and the youth panel test the survey together"
	sam.addCard(samIdea, "plan/participation")
	kim.addCard(kimIdea, "plan/participation")
	sam.waitSent()
	kim.waitSent()
	fac.wait(`document.querySelectorAll('#board .card.hidden-card').length === 2`)
	for _, p := range []*tab{sam, kim, fac} {
		for _, text := range []string{samIdea, kimIdea} {
			own := (p == sam && text == samIdea) || (p == kim && text == kimIdea)
			if !own && p.truth(`document.body.innerText.includes(`+jsString(text)+`)`) {
				t.Errorf("%s: private phase shows someone else's text %q", p.name, text)
			}
		}
	}
	shots("private")
	fac.click("#show-private")
	fac.clickJS(buttonJS("dialog", "Show them here"))
	fac.card(samIdea)
	fac.card(kimIdea)
	fac.click("#show-private")
	fac.wait(`document.querySelectorAll('#board .card.hidden-card').length === 2`)

	// 3. Reveal.
	press("Next: Reveal")
	current("Reveal")
	press("Reveal all ideas")
	sam.card(kimIdea)
	kim.card(samIdea)
	fac.card(samIdea)
	current("Discuss and vote")
	shots("reveal")

	// 4. Vote, with counts hidden until shown: the facilitator sees them,
	// the phones do not.
	press("Start voting")
	sam.waitText("#votes-left", "Votes left: 3 of 3")
	sam.clickJS(buttonJS(sam.card(kimIdea), "Vote"))
	sam.waitText(sam.card(kimIdea)+" .my-votes", "Your votes: 1")
	sam.clickJS(buttonJS(sam.card(kimIdea), "Vote"))
	kim.clickJS(buttonJS(kim.card(samIdea), "Vote"))
	fac.waitText(fac.card(kimIdea)+" .card-meta", "2 votes")
	fac.waitText(fac.card(samIdea)+" .card-meta", "1 vote")
	sam.waitText(sam.card(kimIdea)+" .my-votes", "Your votes: 2")
	for _, p := range []*tab{sam, kim} {
		if p.truth(`[...document.querySelectorAll('#board .card-meta')].some((m) => / votes?\b/.test(m.textContent))`) {
			t.Errorf("%s: a vote count shows while results are hidden", p.name)
		}
	}
	shots("vote-hidden")
	press("Show the votes")
	sam.waitText(sam.card(kimIdea)+" .card-meta", "2 votes")
	kim.waitText(kim.card(kimIdea)+" .card-meta", "2 votes")

	// Sort the cell by votes: Kim's idea (2 votes) goes before Sam's (1).
	first := `document.querySelector('#stage-plan .cell[data-level=participation] .card .card-text')?.textContent`
	if got := fac.str(first); got != samIdea {
		t.Fatalf("before sorting: first card %q, want %q", got, samIdea)
	}
	fac.clickJS(buttonJS(`#stage-plan .cell[data-level=participation]`, "Sort by votes"))
	for _, p := range []*tab{fac, sam, kim} {
		p.wait(first + ` === ` + jsString(kimIdea))
	}

	// Undo the facilitator's last move.
	fac.click(fac.card(samIdea) + " .card-main")
	fac.do(setSelect("#pick-stage", "do"))
	fac.do(setSelect("#pick-level", "consultation"))
	fac.clickJS(buttonJS(".picked", "Move"))
	sam.wait(`document.querySelector('#stage-do .cell[data-level=consultation] .card')`)
	fac.click("#undo-move")
	for _, p := range []*tab{fac, sam} {
		p.wait(`document.querySelectorAll('#stage-plan .cell[data-level=participation] .card').length === 2`)
	}

	// Who wrote a card: for the facilitator only, by name or numbered.
	fac.click(fac.card(kimIdea) + " .card-main")
	fac.waitText(".picked .picked-by", "Written by anonymous staff 1.")
	fac.clickJS(buttonJS(".picked", "Done"))
	fac.wait(`document.querySelector('.picked').hidden`) // the layout settles before the next click
	fac.click(fac.card(samIdea) + " .card-main")
	fac.waitText(".picked .picked-by", "Written by Sam (service user).")
	fac.clickJS(buttonJS(".picked", "Done"))
	fac.wait(`document.querySelector('.picked').hidden`) // the layout settles before the next click
	if sam.truth(`document.body.innerText.includes('Written by')`) {
		t.Errorf("a phone shows who wrote a card")
	}

	// 5. Agree a level per stage.
	press("Next: Agree a level per stage")
	current("Agree a level per stage")
	press("Look at Plan")
	sam.wait(`!document.getElementById('focus-note').hidden`)
	fac.do(setSelect("#agree-plan", "participation"))
	fac.typeInto("#note-plan", "Members help choose what we measure")
	fac.clickJS(buttonJS("#stage-plan .stage-agree", "Save"))
	fac.wait(`document.querySelector('#stage-plan .cell[data-level=participation]').classList.contains('agreed-level')`)
	fac.click(fac.card(kimIdea) + " .card-main")
	fac.clickJS(buttonJS(".picked", "Mark as agreed action"))
	fac.wait(`document.querySelector(` + jsString(fac.card(kimIdea)) + `).classList.contains('agreed')`)
	fac.clickJS(buttonJS(".picked", "Done"))
	fac.wait(`document.querySelector('.picked').hidden`) // the layout settles before the next click
	if sam.truth(`[...document.querySelectorAll('button')].some((b) => b.offsetParent && b.textContent === 'Disagree')`) {
		t.Errorf("a phone asks for consent before the facilitator does")
	}
	shots("agree")

	// 6. Consent: a round on Plan, answered from the phones.
	press("Next: Consent")
	current("Consent")
	press("Ask for consent on Plan")
	fac.waitText("#stage-plan .counts", "(0 of 2 answered)")
	for _, p := range []*tab{sam, kim} {
		p.wait(`document.querySelector('#stage-plan .consent-ask button')?.offsetParent`)
		checkConsentButtons(t, p)
	}
	consent := fmt.Sprintf(`[...document.querySelectorAll('button')].find((b) => b.offsetParent && b.textContent.trim() === %s)`, jsString("Not sure"))
	sam.wait(consent)
	sam.tapJS(consent)
	fac.waitText("#stage-plan .counts", "Consent: 0 agree, 1 not sure, 0 disagree (1 of 2 answered)")
	answer := func(p *tab, label string) {
		js := fmt.Sprintf(`[...document.querySelectorAll('button')].find((b) => b.offsetParent && b.textContent.trim() === %s)`, jsString(label))
		p.wait(js)
		p.tapJS(js)
	}
	answer(sam, "Agree")
	answer(kim, "Disagree")
	fac.waitText("#stage-plan .counts", "Consent: 1 agree, 0 not sure, 1 disagree (2 of 2 answered)")
	fac.waitText("#guide", "2 of 2 answered")
	shots("consent")
	press("End the round on Plan")
	fac.wait(`!document.querySelector('#stage-plan .counts').textContent.includes('answered')`)

	// Joins closed: a new phone is told, the people here stay.
	fac.click(`#moderation input[type=checkbox]`) // "Let new people join"
	fac.waitText("#joins-note", "Joining is closed")
	late := b.open("phone-late", phoneW, phoneH)
	late.goTo("/j/"+w.Code, `!document.getElementById('join-screen').hidden`)
	late.tap(`input[name=role][value=serviceUser]`)
	late.tap(`#join-form button[type=submit]`)
	late.waitText("#stopped-message", "not taking new people")
	sam.do(chromedp.Reload())
	sam.waitLive()

	// Approval: a new card reaches the facilitator, face down on this
	// screen, and everyone else once approved.
	fac.click(`#moderation .switch:nth-of-type(2) input`)
	fac.wait(`document.querySelectorAll('#moderation input[type=checkbox]')[1].checked`)
	waiting := "Ask the youth panel to pilot the questions"
	sam.addCard(waiting, "do/conversation")
	sam.waitSent()
	fac.waitText(".queue-box", "1 card waits for approval")
	if fac.truth(`document.body.innerText.includes(`+jsString(waiting)+`)`) || kim.truth(`document.body.innerText.includes(`+jsString(waiting)+`)`) {
		t.Errorf("a card waiting for approval is readable on the facilitator's screen or on another phone")
	}
	shots("approval")
	fac.click("#show-private")
	fac.clickJS(buttonJS("dialog", "Show them here"))
	fac.clickJS(buttonJS(".queue", "Approve"))
	kim.card(waiting)
	fac.click("#show-private")

	// The projector: "Show on a second screen" opens the wall with the key
	// in its fragment; "Board only" shows no controls.
	fac.eval(`window.open = (url) => { window.openedWall = url; return {}; }`, nil)
	fac.click("#open-wall")
	if got := fac.str(`window.openedWall`); got != "/w/"+w.Code+"#key="+w.FacilitatorKey {
		t.Errorf("Show on a second screen opened %q, want the wall with the key in its fragment", got)
	}
	fac.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('details.more').open = true`))
	fac.click(`#controls form.inline button[type=submit]`)
	fac.wait(`!document.getElementById('timer').hidden`)
	fac.click("#board-only")
	checkProjector(t, fac, w)
	fac.shot("projector-1920")
	fac.resize(laptopW, laptopH)
	checkProjector(t, fac, w)
	fac.shot("projector-1280")
	fac.click("#board-only")
	fac.resize(projectorW, projectH)

	// 7. Close and export.
	press("Next: Close and export")
	current("Close and export")
	press("Finish the workshop")
	fac.clickJS(buttonJS("dialog", "Finish"))
	for _, p := range []*tab{sam, kim, fac} {
		p.phase("closed")
	}
	summary := fmt.Sprintf(`a[href=%q]`, "/s/"+w.Code)
	sam.wait(`document.querySelector(` + jsString(summary) + `)?.offsetParent`)
	fac.waitText("#joinbox-title", "Scan to read what was agreed")
	shots("closed")
	// The record, saved under the name the server gives it.
	fac.eval(`window.saved = []; HTMLAnchorElement.prototype.click = function () { window.saved.push(this.download); }`, nil)
	press("Download the printable record")
	fac.wait(`window.saved.length === 1`)
	if name := fac.str(`window.saved[0]`); !strings.HasPrefix(name, "withboard-how-members-shape-our-survey-") || !strings.HasSuffix(name, ".html") {
		t.Errorf("the printable record saved as %q, want withboard-<title>-<date>.html", name)
	}

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

// facilitatorPhase sets the phase from the facilitator page's "More
// controls".
func (tb *tab) facilitatorPhase(label string) {
	tb.t.Helper()
	tb.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('details.more').open = true`))
	tb.clickJS(buttonJS(".phase-buttons", label))
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
			.filter((el) => shown(el) && el.id !== 'board-only' && !el.closest('.card') && !el.closest('.picked'))
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
