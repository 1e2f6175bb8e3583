package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestBrowserSample: "Try a sample" on the start page opens the
// facilitator page of a workshop already full of example cards, marked as
// a sample; both pages pass axe.
func TestBrowserSample(t *testing.T) {
	srv := newEmbeddedServer(t)
	b := newBrowser(t, srv.URL)
	axe := needAxe(t)

	phone := b.open("landing", phoneW, phoneH)
	phone.goTo("/", `document.getElementById('try-sample')`)
	phone.shot("landing-phone-full")
	phone.axeCheck("start page", axe)

	f := b.open("facilitator", laptopW, laptopH)
	f.goTo("/", `document.getElementById('try-sample')`)
	f.shot("landing-laptop")
	f.click("#try-sample")
	f.wait(`location.pathname.startsWith('/f/') && document.getElementById('conn')?.dataset.state === 'live'`)
	f.wait(`document.querySelectorAll('#board .card').length === ` + strconv.Itoa(len(sampleCards)))
	if title := f.str(`document.title + ' ' + document.body.textContent`); !strings.Contains(title, "Sample: Riverside Youth Project") {
		t.Errorf("the sample's page does not say it is a sample")
	}
	f.card(sampleCards[0].text)
	f.shot("sample-facilitator")
	f.axeCheck("sample, facilitator", axe)
}

// TestBrowserEnded: a phone that opens the join link of a finished
// workshop is led to the summary, not to the join form; the link of a
// deleted one shows a plain page that says so. Both pass axe.
func TestBrowserEnded(t *testing.T) {
	srv := newEmbeddedServer(t)
	b := newBrowser(t, srv.URL)
	axe := needAxe(t)
	w := createWorkshop(t, srv.URL, "Spring review")
	fac := dial(t, srv.URL)
	fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
	fac.ack(fac.op(map[string]any{"kind": "stage.agree", "stage": "plan", "level": "conversation"}))
	fac.ack(fac.op(map[string]any{"kind": "phase.set", "phase": "closed"}))

	p := b.open("phone", phoneW, phoneH)
	p.goTo("/j/"+w.Code, `!document.getElementById('ended').hidden`)
	if !p.truth(`document.getElementById('join-screen').hidden && document.getElementById('ended-link').getAttribute('href') === ` + jsString("/s/"+w.Code)) {
		t.Errorf("ended screen: the join form shows, or the link is not the summary")
	}
	p.shot("phone-ended")
	p.axeCheck("ended workshop", axe)
	p.tap("#ended-link")
	p.wait(`location.pathname === ` + jsString("/s/"+w.Code) + ` && document.querySelector('h1')?.textContent.startsWith('What we agreed')`)
	p.shot("phone-summary-full")
	p.axeCheck("summary", axe)

	req, _ := http.NewRequest("DELETE", srv.URL+"/api/workshops/"+w.ID, nil)
	req.Header.Set("Authorization", "Bearer "+w.FacilitatorKey)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", res, err)
	}
	p.goTo("/j/"+w.Code, `document.querySelector('h1')?.textContent === 'This workshop was deleted or does not exist'`)
	p.shot("phone-gone")
	p.axeCheck("deleted workshop", axe)
}
