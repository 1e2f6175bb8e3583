package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/withboard/withboard/hub/board"
)

// TestSampleWorkshop: "sample": true makes a workshop marked as a sample
// whose board already holds the sample's cards, spread over the grid and
// the tray, with a few votes; it needs the creation token like any other.
func TestSampleWorkshop(t *testing.T) {
	srv := newLinkServer(t, config{createToken: "let-me-in"}, nil)
	post := func(body, token string) (*http.Response, created) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/api/workshops", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var c created
		json.NewDecoder(res.Body).Decode(&c)
		return res, c
	}
	if res, _ := post(`{"sample":true}`, ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sample without the creation token: got %d, want 401", res.StatusCode)
	}
	for _, tt := range []struct{ body, title string }{
		{`{"sample":true}`, defaultSampleTitle},
		{`{"title":"","sample":true}`, defaultSampleTitle},
		{`{"title":"Our rehearsal","sample":true}`, "Sample: Our rehearsal"},
		{`{"title":"Sample run for the team","sample":true}`, "Sample run for the team"},
	} {
		res, w := post(tt.body, "let-me-in")
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("%s: got %d, want 201", tt.body, res.StatusCode)
		}
		if w.Title != tt.title {
			t.Errorf("%s: title %q, want %q", tt.body, w.Title, tt.title)
		}
	}
	if res, _ := post(`{"title":"`+strings.Repeat("x", 120)+`","sample":true}`, "let-me-in"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a sample title too long once marked: got %d, want 400", res.StatusCode)
	}

	_, w := post(`{"sample":true}`, "let-me-in")
	b := boardOf(t, srv.URL, w)
	if n := len(b.Cards); n < 12 || n > 20 || n != len(sampleCards) {
		t.Fatalf("cards: got %d, want the sample's %d", n, len(sampleCards))
	}
	stages, tray, votes := map[string]bool{}, 0, 0
	for _, c := range b.Cards {
		if c.Stage == nil {
			tray++
		} else {
			stages[*c.Stage] = true
		}
		votes += c.VoteCount()
		if c.Text == nil || *c.Text == "" {
			t.Errorf("card %s has no text", c.ID)
		}
	}
	if len(stages) != len(board.Stages) || tray == 0 || votes != len(sampleVotes) {
		t.Errorf("got cards on %d stages, %d in the tray, %d votes; want every stage, some in the tray, %d votes", len(stages), tray, votes, len(sampleVotes))
	}
	if len(cardsWithText(b, sampleCards[0].text)) != 1 {
		t.Errorf("the first sample card is not on the board")
	}
	if _, plain := post(`{"title":"Plain"}`, "let-me-in"); len(boardOf(t, srv.URL, plain).Cards) != 0 {
		t.Errorf("a workshop made without sample has cards")
	}
}
