package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/withboard/withboard/hub/board"
)

// TestBrowserLiveRoom (issue "Live rooms"): a card added on the phone page
// appears on the facilitator page, without a reload.
func TestBrowserLiveRoom(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Live room")
	b := newBrowser(t, srv.URL)
	fac := b.facilitator(w)
	phone := b.joinPhone("phone", w, "serviceUser", "Sam")

	phone.addCard("Ask us before you choose the questions", "plan/consultation")
	sel := fac.card("Ask us before you choose the questions")
	if got := fac.str(`document.querySelector(` + jsString(sel) + `).closest('[data-stage]').dataset.stage`); got != "plan" {
		t.Errorf("facilitator page: card in stage %q, want plan", got)
	}
	if got := fac.str(`document.querySelector(` + jsString(sel+" .card-meta") + `).textContent`); !strings.Contains(got, "service user") {
		t.Errorf("facilitator page: card meta %q, want it to say service user", got)
	}
}

// offline cuts the tab off the network, as a phone losing signal: new
// connections fail and the page is told it is offline.
func (tb *tab) offline(off bool) {
	tb.t.Helper()
	cdpCall(tb, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
	})
	cdpCall(tb, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
}

// TestBrowserPhoneFirst (issue "Phone-first"): on a 390 x 844 phone, a
// person joins by typing the code (lower case, with a dash) on the start
// page, adds a card and places it by tapping, sees another person's
// change live, makes two changes while offline that land exactly once
// when the network is back, and after a refresh is still the same person
// with the same cards.
func TestBrowserPhoneFirst(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Phone first")
	b := newBrowser(t, srv.URL)

	// Someone else in the room, scripted, checking every version arrives
	// once and in order (its replica starts at version 0, as the board).
	other := dial(t, srv.URL)
	other.join(map[string]any{"code": w.Code, "role": "staff"})
	other.board = board.NewBoard()

	phone := b.open("phone", phoneW, phoneH)
	phone.goTo("/", `document.getElementById('join-code')`)
	typed := strings.ToLower(w.Code[:3] + "-" + w.Code[3:])
	phone.tap("#join-code")
	phone.typeInto("#join-code", typed)
	phone.tap(`#join-form button[type=submit]`)
	phone.wait(`location.pathname === ` + jsString("/j/"+w.Code) + ` && !document.getElementById('join-screen').hidden`)
	phone.shot("phone-join")
	phone.tap(`input[name=role][value=serviceUser]`)
	phone.tap(`#join-form button[type=submit]`)
	phone.waitLive()
	var me string
	phone.eval(`JSON.parse(localStorage.getItem('withboard:' + `+jsString(w.Code)+`)).you.id`, &me)

	// Add a card, then place it: tap the card, tap a cell.
	card := phone.addCard("Let us test the survey on our friends first", "")
	phone.waitSent()
	phone.tap(card + " .card-main")
	phone.wait(`!document.querySelector('.picked').hidden`)
	phone.shot("phone-picked")
	cell := `#board .cell[data-stage=do][data-level=conversation]`
	phone.tap(cell + " .prompt")
	phone.wait(`document.querySelector(` + jsString(cell) + `).querySelector(` + jsString(card) + `)`)
	phone.waitSent()

	// Another person's change arrives live.
	other.ack(other.op(addCard("Staff will pay people for their time", "do", "consultation")))
	phone.card("Staff will pay people for their time")

	// Offline: two changes stay on the phone, marked as not sent.
	phone.offline(true)
	phone.wait(`document.getElementById('conn').dataset.state === 'reconnecting'`)
	offA := "Written on the bus with no signal"
	offB := "Written in the lift with no signal"
	phone.addCard(offA, "review/participation")
	phone.addCard(offB, "")
	phone.wait(`document.querySelectorAll('#board .card.pending').length === 2`)
	phone.waitText("#banner", "Waiting to send: 2")
	phone.shot("phone-offline")
	time.Sleep(500 * time.Millisecond)
	for _, text := range []string{offA, offB} {
		if n := len(cardsWithText(boardOf(t, srv.URL, w), text)); n != 0 {
			t.Fatalf("while offline, the server has %d cards %q, want 0", n, text)
		}
	}

	// Back online: both land, once each.
	phone.offline(false)
	phone.waitLive()
	phone.waitSent()
	seen := map[string]int{}
	eventually(t, "the other participant sees both offline cards", func() error {
		for len(other.frames) > 0 {
			f := other.next()
			if str(f["t"]) != "op" {
				continue
			}
			other.applyOp(f) // fails on a version seen twice or skipped
			var e board.OpView
			if err := json.Unmarshal(mustJSON(f), &e); err != nil {
				t.Fatalf("decode op frame: %v", err)
			}
			if e.Op.Kind == board.KindCardAdd && e.Op.Card != nil {
				seen[e.Op.Card.Text]++
			}
		}
		if seen[offA] == 0 || seen[offB] == 0 {
			return errNotYet
		}
		return nil
	})
	bv := boardOf(t, srv.URL, w)
	for _, text := range []string{offA, offB} {
		if seen[text] != 1 {
			t.Errorf("card.add of %q broadcast %d times, want 1", text, seen[text])
		}
		if got := cardsWithText(bv, text); len(got) != 1 || got[0].By != me {
			t.Errorf("server has %d cards %q (%+v), want 1 by %s", len(got), text, got, me)
		}
	}
	if len(bv.Cards) != 4 || len(other.board.Cards) != 4 {
		t.Errorf("server board: %d cards, the other participant's replica %d; want 4", len(bv.Cards), len(other.board.Cards))
	}

	// Refresh: the same person, with their cards still theirs. (The
	// browser restoring the scroll position as the board grows would move
	// a card under the finger between aim and tap.)
	phone.eval(`history.scrollRestoration = 'manual'`, nil)
	phone.do(chromedp.Reload())
	phone.waitLive()
	var again string
	phone.eval(`JSON.parse(localStorage.getItem('withboard:' + `+jsString(w.Code)+`)).you.id`, &again)
	if again != me {
		t.Errorf("after a refresh: participant %s, want %s", again, me)
	}
	if phone.truth(`!document.getElementById('join-screen').hidden`) {
		t.Errorf("after a refresh: the join screen shows, want the board")
	}
	mine := phone.card(offA)
	phone.tap(mine + " .card-main")
	phone.wait(`!document.querySelector('.picked').hidden`)
	if !phone.truth(buttonJS(".picked", "Edit text")) {
		t.Errorf("after a refresh: own card cannot be edited")
	}
	phone.shot("phone-after-refresh")

	// Large text (200%) reflows: nothing is wider than the phone.
	phone.tapJS(buttonJS(".picked", "Done"))
	phone.eval(`document.documentElement.style.fontSize = '200%'`, nil)
	phone.eval(`window.scrollTo({ top: 0, behavior: 'instant' })`, nil)
	if wide := phone.str(fmt.Sprintf(`[...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > %d).map((el) => el.tagName + '.' + el.className).slice(0, 5).join(' ')`, phoneW+1)); wide != "" {
		t.Errorf("at 200%% text, elements wider than the phone: %s", wide)
	}
	phone.shot("phone-large-text-full")
	people := 0
	for _, p := range boardOf(t, srv.URL, w).Participants {
		if p.Role == board.RoleServiceUser {
			people++
		}
	}
	if people != 1 {
		t.Errorf("after a refresh: %d service users on the board, want 1 (the same person)", people)
	}
}
