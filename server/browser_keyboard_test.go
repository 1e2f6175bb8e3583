package main

import (
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/withboard/withboard/hub/board"
)

// TestBrowserKeyboard: a person who uses only the keyboard (Tab,
// Shift+Tab, Enter, Space and the arrow keys) joins on the phone page,
// adds a card, places it in a cell and votes for it, and can see where
// the focus is at every step.
func TestBrowserKeyboard(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Keyboard only")
	b := newBrowser(t, srv.URL)
	p := b.open("keyboard", phoneW, phoneH)
	p.goTo("/j/"+w.Code, `!document.getElementById('join-screen').hidden`)

	// Join: the role by the arrow keys, a name typed, Enter on the button.
	p.tabTo(`input[name=role]`, false, 3)
	p.keys(" ")
	p.focusVisible("choose a role", `input[value=serviceUser]:checked`)
	p.keys(kb.ArrowDown)
	p.focusVisible("arrow to the other role", `input[value=staff]:checked`)
	p.keys(kb.ArrowUp)
	p.focusVisible("arrow back", `input[value=serviceUser]:checked`)
	p.tabTo("#join-name", false, 2)
	p.keys("Robin")
	p.tabTo(`#join-form button[type=submit]`, false, 4)
	p.shiftTab()
	p.focusVisible("Shift+Tab goes back", "#clear-name")
	p.tabTo(`#join-form button[type=submit]`, false, 1)
	p.keys(kb.Enter)
	p.waitLive()
	p.focusVisible("after joining, focus starts at the title", "#title")

	// Add a card to the tray.
	p.tabTo("#new-text", false, 6)
	p.keys("Read the questions aloud at the drop-in")
	p.tabTo(`#composer button[type=submit]`, false, 3)
	p.keys(kb.Enter)
	card := p.card("Read the questions aloud at the drop-in")
	p.focusVisible("after adding, focus is back in the text box", "#new-text")
	p.waitSent()

	// Pick it, then place it with the panel's lists: Plan, Conversation.
	p.tabTo(card+" .card-main", false, 8)
	p.keys(kb.Enter)
	p.wait(`!document.querySelector('.picked').hidden`)
	p.focusVisible("picking moves focus to the panel", "#picked-title")
	p.tabTo("#pick-stage", false, 3)
	p.keys(kb.ArrowDown)
	p.wait(`document.getElementById('pick-stage').value === 'plan'`)
	p.tabTo("#pick-level", false, 1)
	p.keys(kb.ArrowDown)
	p.wait(`document.getElementById('pick-level').value === 'conversation'`)
	p.tabTo(`.picked-place button`, false, 1)
	p.keys(kb.Enter)
	cell := `#board .cell[data-stage=plan][data-level=conversation]`
	p.wait(`document.querySelector(` + jsString(cell) + `).querySelector(` + jsString(card) + `)`)
	p.focusVisible("after the move, focus is on the card", card+" .card-main")
	p.waitSent()

	// Vote with Space on the Vote button.
	p.tabTo(card+` button[data-delta="1"]`, false, 2)
	p.keys(" ")
	p.waitText(card+" .my-votes", "Your votes: 1")
	p.focusVisible("after voting, focus stays on Vote", card+` button[data-delta="1"]`)
	p.waitSent()
	p.shot("phone-keyboard")

	bv := boardOf(t, srv.URL, w)
	got := cardsWithText(bv, "Read the questions aloud at the drop-in")
	if len(got) != 1 {
		t.Fatalf("server: %d cards with the text, want 1", len(got))
	}
	c := got[0]
	if c.Stage == nil || *c.Stage != "plan" || c.Level == nil || *c.Level != "conversation" || c.VoteCount() != 1 || c.ByRole != board.RoleServiceUser {
		t.Errorf("server card: stage %v level %v votes %d by %s, want plan, conversation, 1 vote, serviceUser", deref(c.Stage), deref(c.Level), c.VoteCount(), c.ByRole)
	}
}
