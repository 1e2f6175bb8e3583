package main

import (
	"testing"
)

// TestBrowserAccessibility runs axe-core (WCAG 2.0, 2.1 and 2.2, levels A
// and AA) on every page and state a person meets: the start page, the
// phone page's join screen and board, and the facilitator page in each
// phase, with cards, hidden cards, a picked card and the consent round on
// screen. Any violation fails the test.
func TestBrowserAccessibility(t *testing.T) {
	axe := needAxe(t)
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Accessible to all")
	b := newBrowser(t, srv.URL)

	landing := b.open("landing", phoneW, phoneH)
	landing.goTo("/", `document.getElementById('join-code')`)
	landing.axeCheck("start page", axe)
	landing.typeInto("#join-code", "zzz-zzz")
	landing.tap(`#join-form button[type=submit]`)
	landing.wait(`!document.getElementById('join-error').hidden`)
	landing.axeCheck("start page with a wrong code", axe)

	phone := b.open("phone", phoneW, phoneH)
	phone.goTo("/j/"+w.Code, `!document.getElementById('join-screen').hidden`)
	phone.axeCheck("join screen", axe)
	phone.tap(`#join-form button[type=submit]`) // no role chosen: the error shows
	phone.wait(`!document.getElementById('join-error').hidden`)
	phone.axeCheck("join screen with an error", axe)
	phone.tap(`input[name=role][value=serviceUser]`)
	phone.tap(`#join-form button[type=submit]`)
	phone.waitLive()

	fac := b.facilitator(w)
	other := dial(t, srv.URL)
	other.join(map[string]any{"code": w.Code, "role": "staff"})
	other.ack(other.op(addCard("A staff idea in the tray", nil, nil)))
	mine := phone.addCard("An idea of mine", "assess/conversation")
	phone.card("A staff idea in the tray")
	phone.waitSent()
	phone.axeCheck("board, open", axe)
	fac.card("An idea of mine")
	fac.axeCheck("open", axe)

	phone.tap(mine + " .card-main")
	phone.wait(`!document.querySelector('.picked').hidden`)
	phone.axeCheck("board with a picked card", axe)
	phone.tapJS(buttonJS(".picked", "Done"))

	fac.facilitatorPhase("Private")
	phone.phase("private")
	phone.addCard("A private idea", "")
	phone.wait(`document.querySelector('#board .card.hidden-card')`)
	phone.waitSent()
	phone.axeCheck("board, private", axe)
	fac.wait(`document.querySelector('#board .card.hidden-card')`) // face down here too, unless turned up
	fac.axeCheck("private", axe)

	fac.facilitatorPhase("Open")
	phone.phase("open")
	other.ack(other.op(map[string]any{"kind": "card.vote", "cardId": phone.str(`document.querySelector(` + jsString(mine) + `).dataset.id`), "delta": 1}))
	fac.do(setSelect("#agree-assess", "conversation"))
	fac.clickJS(buttonJS("#stage-assess .stage-agree", "Save"))
	fac.clickJS(buttonJS("#stage-assess .stage-agree", "Ask for consent on Assess"))
	phone.wait(`!document.querySelector('#stage-assess .consent').hidden`)
	phone.tapJS(buttonJS("#stage-assess .consent", "Not sure"))
	fac.waitText("#stage-assess .counts", "1 not sure")
	fac.click(fac.card("An idea of mine") + " .card-main")
	fac.clickJS(buttonJS(".picked", "Mark as agreed action"))
	phone.wait(`document.querySelector(` + jsString(mine) + `).classList.contains('agreed')`)
	phone.axeCheck("board with consent and an agreed card", axe)
	fac.axeCheck("open with a picked card and consent", axe)
	fac.clickJS(buttonJS(".picked", "Done"))
	fac.wait(`document.querySelector('.picked').hidden`) // the layout settles before the next click
	fac.click("#board-only")
	fac.wait(`document.body.classList.contains('board-only')`)
	fac.axeCheck("board only", axe)
	fac.click("#board-only")
	fac.wait(`!document.body.classList.contains('board-only')`)

	fac.facilitatorPhase("Paused")
	phone.phase("locked")
	phone.axeCheck("board, paused", axe)
	fac.axeCheck("paused", axe)

	fac.facilitatorPhase("Finished")
	phone.phase("closed")
	phone.axeCheck("board, finished", axe)
	fac.axeCheck("finished", axe)
}
