package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// facilitatorWS joins w as its facilitator over a WebSocket of its own,
// so that a test can run the workshop while it watches a phone.
func facilitatorWS(t *testing.T, base string, w created) func(op map[string]any) {
	t.Helper()
	c := dial(t, base)
	c.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
	return func(op map[string]any) {
		t.Helper()
		if _, code := c.ack(c.op(op)); code != "" {
			t.Fatalf("facilitator's %s: nack %s, want ack", op["kind"], code)
		}
	}
}

// nowIs waits until the phone's now card says text.
func (tb *tab) nowIs(text string) {
	tb.t.Helper()
	tb.waitText("#now", text)
}

// inView reports whether the element sel is drawn wholly inside the viewport.
func (tb *tab) inView(sel string) bool {
	tb.t.Helper()
	return tb.truth(fmt.Sprintf(`(() => {
		const r = document.querySelector(%s).getBoundingClientRect();
		return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight;
	})()`, jsString(sel)))
}

// scrollToBottom scrolls the page to its end and waits for it to be there.
func (tb *tab) scrollToBottom() {
	tb.t.Helper()
	tb.eval(`window.scrollTo({ top: document.documentElement.scrollHeight, behavior: 'instant' })`, nil)
	tb.wait(`Math.abs(scrollY + innerHeight - document.documentElement.scrollHeight) < 2`)
}

// consentQuestions is a JavaScript expression for the consent questions
// and answer buttons a person can see, anywhere on the page (what the
// live region last said aside).
const consentQuestions = `[...document.querySelectorAll('.consent-ask, .consent-q, .now-answers')].filter((el) => el.offsetParent).length + (document.getElementById('main').innerText.includes('Do you go along') ? 1 : 0)`

// TestBrowserPhoneNow (issue "The phone says what is asked now"): the now
// card at the top of the phone's board says, in plain words, what the
// facilitator asks at each moment: add ideas, vote (with the votes
// left), write in private, wait while paused, answer a consent round
// right there, and at the end where to read what was agreed. No consent
// question shows before the round asks it, and after the round only the
// person's answer stays. The now card, the timer and the focus note stay
// on screen while the board scrolls, without taking more than a third of
// it, also with text at 200%.
func TestBrowserPhoneNow(t *testing.T) {
	axe := needAxe(t)
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "What we ask now")
	b := newBrowser(t, srv.URL)
	fac := facilitatorWS(t, srv.URL, w)
	phone := b.joinPhone("phone", w, "serviceUser", "")

	// Open, with votes: first thing under the title, counting votes left.
	phone.nowIs("Vote for the ideas that matter most to you: 3 votes left")
	if got := phone.str(`document.querySelector('header.top').nextElementSibling.querySelector(':scope > :not([hidden])')?.id`); got != "now" {
		t.Errorf("first thing under the title: #%s, want #now", got)
	}
	card := phone.addCard("Ask us which questions matter", "plan/consultation")
	phone.waitSent()
	phone.tapJS(buttonJS(card, "Vote"))
	phone.nowIs("Vote for the ideas that matter most to you: 2 votes left")
	phone.shot("phone-now-open-votes")
	fac(map[string]any{"kind": "votes.set", "budget": 1})
	phone.nowIs("You have used all your votes")
	fac(map[string]any{"kind": "votes.set", "budget": 0})
	phone.nowIs("Add your ideas and put them where you think they fit")
	phone.scrollToBottom()
	phone.tapJS(buttonJS("#now", "Write an idea"))
	phone.wait(`document.activeElement === document.getElementById('new-text')`)
	if !phone.inView("#new-text") {
		t.Errorf("after Write an idea: the idea's text box is not on screen")
	}
	phone.eval(`document.activeElement.blur(); window.scrollTo({ top: 0, behavior: 'instant' })`, nil)
	phone.shot("phone-now-open")

	// Private.
	fac(map[string]any{"kind": "phase.set", "phase": "private"})
	phone.nowIs("Add your ideas. Until the facilitator shows them all, only you and the facilitator can read them.")
	phone.shot("phone-now-private")

	// A level agreed for Plan asks nothing yet.
	fac(map[string]any{"kind": "stage.agree", "stage": "plan", "level": "conversation", "note": "Members talk the survey through with us"})
	phone.wait(`document.querySelector('#stage-plan .cell[data-level=conversation]').classList.contains('agreed-level')`)
	if n := phone.num(consentQuestions); n != 0 {
		t.Errorf("before the consent round: %d consent questions or answer groups shown, want none", n)
	}
	if phone.truth(`document.getElementById('main').innerText.includes('did not answer')`) {
		t.Errorf("before the consent round: the phone says the person did not answer")
	}

	// Paused.
	fac(map[string]any{"kind": "phase.set", "phase": "locked"})
	phone.nowIs("Wait for the facilitator. The board is paused for now.")
	phone.shot("phone-now-paused")

	// The consent round, on a paused board: answered in the now card.
	fac(map[string]any{"kind": "consent.round", "stage": "plan"})
	phone.nowIs("Answer for Plan: the group settled on Conversation. Do you go along with it?")
	phone.nowIs("The facilitator’s note: Members talk the survey through with us")
	for _, label := range []string{"Agree", "Not sure", "Disagree"} {
		if !phone.truth(buttonJS("#now", label)) {
			t.Errorf("consent round: no %q button in the now card", label)
		}
	}
	phone.wait(`document.querySelector('#stage-plan .consent-ask')?.offsetParent`) // asked under the stage too
	var small []string
	phone.eval(`[...document.querySelectorAll('#now button')].filter((b) => b.offsetParent).filter((b) => {
		const r = b.getBoundingClientRect();
		return r.width < 44 || r.height < 44;
	}).map((b) => b.textContent)`, &small)
	if len(small) != 0 {
		t.Errorf("consent round: now card buttons smaller than 44x44 px: %v", small)
	}
	phone.eval(`window.scrollTo({ top: 0, behavior: 'instant' })`, nil)
	phone.shot("phone-now-consent")
	phone.axeCheck("now card, consent round", axe)
	phone.tapJS(buttonJS("#now", "Agree"))
	phone.nowIs("You answered Agree. You can change it while the facilitator is asking.")
	if got := phone.str(`document.querySelector('#now button[aria-pressed=true]')?.textContent ?? ''`); got != "Agree" {
		t.Errorf("consent round: pressed answer in the now card %q, want Agree", got)
	}
	phone.waitSent()
	eventually(t, "the server counts the answer", func() error {
		if got := boardOf(t, srv.URL, w).Consent["plan"]["agree"]; got != 1 {
			return fmt.Errorf("plan agree count %d, want 1", got)
		}
		return nil
	})
	phone.shot("phone-now-consent-answered")
	phone.axeCheck("now card, consent answered", axe)

	// The round ends: the question goes, the answer stays.
	fac(map[string]any{"kind": "consent.round", "stage": nil})
	phone.nowIs("Wait for the facilitator. The board is paused for now.")
	phone.waitText("#stage-plan .consent", "Your answer: Agree.")
	if n := phone.num(consentQuestions); n != 0 {
		t.Errorf("after the consent round: %d consent questions or answer groups shown, want none", n)
	}

	// Sticky: the now card, the timer and the focus note stay in sight.
	fac(map[string]any{"kind": "phase.set", "phase": "open"})
	fac(map[string]any{"kind": "timer.set", "seconds": 300})
	fac(map[string]any{"kind": "focus.set", "stage": "review"})
	phone.wait(`document.getElementById('timer').textContent.includes('Time left') && !document.getElementById('focus-note').hidden`)
	phone.scrollToBottom()
	for _, sel := range []string{"#now", "#timer", "#focus-note"} {
		if !phone.inView(sel) {
			t.Errorf("scrolled to the bottom: %s is not on screen", sel)
		}
	}
	if h := phone.num(`Math.round(document.getElementById('now-bar').getBoundingClientRect().height)`); h > phoneH/3 {
		t.Errorf("the stuck top takes %d px of %d, want at most a third", h, phoneH)
	}
	phone.shot("phone-now-sticky")
	phone.tap("#focus-note a")
	phone.wait(`Math.abs(document.getElementById('stage-review').getBoundingClientRect().top - document.getElementById('now-bar').getBoundingClientRect().bottom) < 40`)

	// At 200% text what stays stuck still leaves two thirds of the screen.
	phone.eval(`document.documentElement.style.fontSize = '200%'`, nil)
	phone.wait(`document.getElementById('now-bar').classList.contains('compact')`)
	phone.scrollToBottom()
	if !phone.inView("#timer") || !phone.inView("#focus-note") {
		t.Errorf("at 200%% text, scrolled to the bottom: the timer or the focus note is not on screen")
	}
	if h := phone.num(`Math.round(document.querySelector('.now-strip').getBoundingClientRect().bottom)`); h > phoneH/3 {
		t.Errorf("at 200%% text the stuck top reaches %d px of %d, want at most a third", h, phoneH)
	}
	phone.shot("phone-now-large-text")
	phone.eval(`document.documentElement.style.fontSize = ''`, nil)
	phone.wait(`!document.getElementById('now-bar').classList.contains('compact')`)

	// Closed: thanks, and the summary.
	fac(map[string]any{"kind": "phase.set", "phase": "closed"})
	phone.nowIs("The workshop has ended. Thank you.")
	summary := fmt.Sprintf(`#now a[href=%q]`, "/s/"+w.Code)
	phone.wait(`document.querySelector(` + jsString(summary) + `)?.offsetParent`)
	phone.eval(`window.scrollTo({ top: 0, behavior: 'instant' })`, nil)
	phone.shot("phone-now-closed")
}

// TestBrowserPhoneRemoved: a person the facilitator removes is told so,
// and a reload does not bring the join form back to join as someone new.
func TestBrowserPhoneRemoved(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Removed")
	b := newBrowser(t, srv.URL)
	fac := facilitatorWS(t, srv.URL, w)
	phone := b.joinPhone("phone", w, "staff", "Alex")
	var me string
	phone.eval(`JSON.parse(localStorage.getItem('withboard:' + `+jsString(w.Code)+`)).you.id`, &me)

	fac(map[string]any{"kind": "participant.remove", "participantId": me, "removeCards": false})
	removed := func(when string) {
		t.Helper()
		phone.wait(`!document.getElementById('stopped').hidden`)
		phone.waitText("#stopped-heading", "You were removed from this workshop")
		if phone.truth(`document.getElementById('rejoin').offsetParent || document.getElementById('retry').offsetParent`) {
			t.Errorf("%s: a button offers to join again", when)
		}
		if phone.truth(`document.getElementById('join-form').offsetParent`) {
			t.Errorf("%s: the join form shows", when)
		}
		if phone.truth(`JSON.parse(localStorage.getItem('withboard:' + ` + jsString(w.Code) + `) ?? '{}').token`) {
			t.Errorf("%s: the phone still keeps the removed person's token", when)
		}
	}
	removed("removed")
	phone.shot("phone-now-removed")

	phone.do(chromedp.Reload())
	phone.wait(`document.readyState === 'complete' && document.getElementById('loading').hidden`)
	removed("after a reload")
	phone.shot("phone-now-removed-reload")
	for _, p := range boardOf(t, srv.URL, w).Participants {
		if p.Role != "facilitator" {
			t.Errorf("after a reload: participant %+v joined, want none", p)
		}
	}
}

// TestBrowserPhoneJoinsClosed: while the facilitator has closed joins, a
// new phone is told so and can try again later as the person it chose
// to be; a phone that had joined before comes back in.
func TestBrowserPhoneJoinsClosed(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Joins closed")
	b := newBrowser(t, srv.URL)
	fac := facilitatorWS(t, srv.URL, w)
	before := b.joinPhone("phone-before", w, "serviceUser", "")
	fac(map[string]any{"kind": "joins.set", "open": false})

	late := b.open("phone-late", phoneW, phoneH)
	late.goTo("/j/"+w.Code, `!document.getElementById('join-screen').hidden`)
	late.tap(`input[name=role][value=serviceUser]`)
	late.tap(`#join-form button[type=submit]`)
	late.wait(`!document.getElementById('stopped').hidden`)
	late.waitText("#stopped-message", "not taking new people")
	if !late.truth(buttonJS("#stopped", "Try again")) {
		t.Errorf("joins closed: no Try again button")
	}
	late.shot("phone-now-joins-closed")

	before.do(chromedp.Reload())
	before.waitLive()

	fac(map[string]any{"kind": "joins.set", "open": true})
	late.tapJS(buttonJS("#stopped", "Try again"))
	late.waitLive()
	if got := late.str(`JSON.parse(localStorage.getItem('withboard:' + ` + jsString(w.Code) + `)).you.role`); got != "serviceUser" {
		t.Errorf("after Try again: role %q, want serviceUser, as chosen", got)
	}
	people := 0
	for _, p := range boardOf(t, srv.URL, w).Participants {
		if strings.EqualFold(string(p.Role), "serviceUser") {
			people++
		}
	}
	if people != 2 {
		t.Errorf("service users on the board: %d, want 2", people)
	}
}
