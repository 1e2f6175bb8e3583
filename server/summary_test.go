package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestSummary: the take-home summary waits for the workshop to close,
// then tells what was agreed in plain words and names no one.
func TestSummary(t *testing.T) {
	srv := newEmbeddedServer(t)
	w := createWorkshop(t, srv.URL, "Summer club <review>")
	fac := dial(t, srv.URL)
	fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey, "name": "Facilitator Fay"})
	p := dial(t, srv.URL)
	p.join(map[string]any{"code": w.Code, "name": "Sam Secretname", "role": "serviceUser"})
	add := addCard("Young people co-write the survey", "plan", "participation")
	p.ack(p.op(add))
	card := add["card"].(map[string]any)["id"]
	for _, op := range []map[string]any{
		{"kind": "stage.agree", "stage": "plan", "level": "participation", "note": "Start in <May>"},
		{"kind": "card.agree", "cardId": card, "agreed": true},
	} {
		if _, code := fac.ack(fac.op(op)); code != "" {
			t.Fatalf("%s refused: %s", op["kind"], code)
		}
	}
	p.ack(p.op(map[string]any{"kind": "consent.set", "stage": "plan", "answer": "agree"}))

	get := func() (int, string) {
		res, err := http.Get(srv.URL + "/s/" + strings.ToLower(w.Code))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("summary CSP %q, want default-src 'none'", csp)
		}
		return res.StatusCode, string(body)
	}
	if status, body := get(); status != http.StatusConflict || !strings.Contains(body, "when the facilitator closes") || strings.Contains(body, "co-write") {
		t.Fatalf("before closing: got %d, want 409 and a note to come back, without the board", status)
	}
	fac.ack(fac.op(map[string]any{"kind": "phase.set", "phase": "closed"}))
	status, body := get()
	if status != http.StatusOK {
		t.Fatalf("after closing: got status %d, want 200", status)
	}
	for _, want := range []string{"Young people co-write the survey", "Participation", "you do it together", "Start in &lt;May&gt;", "1 said they agree", "Summer club &lt;review&gt;", "Inspiring Impact"} {
		if !strings.Contains(body, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	for _, name := range []string{"Sam Secretname", "Facilitator Fay"} {
		if strings.Contains(body, name) {
			t.Errorf("summary names %q; it must name no one", name)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("summary has a script")
	}
}
