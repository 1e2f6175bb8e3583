package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/withboard/withboard/hub/board"
)

// TestKillNineLosesNothing kills a real server process with SIGKILL right
// after a stream of acknowledged ops and restarts it on the same data
// directory: every acknowledged op must be there.
func TestKillNineLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := t.TempDir()
	p := startProcess(t, nil, "-data", dir)
	w := createWorkshop(t, p.URL, "Durable")
	// Three people, each sending a burst within the per-connection rate
	// limit, plus one op each that is sent but not waited for: those may
	// or may not survive, but nothing acknowledged may be lost.
	const people, each = 3, 50
	clients := make([]*wsClient, people)
	ids := map[*wsClient][]string{}
	for i := range clients {
		c := dial(t, p.URL)
		c.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		clients[i] = c
		for j := range each {
			n := i*each + j
			ids[c] = append(ids[c], c.op(addCard(fmt.Sprint("card ", n), board.Stages[n%4], board.Levels[n%3])))
		}
		c.op(addCard("in flight", nil, nil))
	}
	for _, c := range clients {
		for _, id := range ids[c] {
			if v, code := c.ack(id); code != "" || v == 0 {
				t.Fatalf("op refused: %s", code)
			}
		}
	}
	const n = people * each
	c := clients[0]
	p.kill()

	p2 := startProcess(t, nil, "-data", dir)
	late := dial(t, p2.URL)
	welcome := late.join(map[string]any{"code": w.Code, "role": "staff"})
	var board board.BoardView
	if err := json.Unmarshal(welcome["board"], &board); err != nil {
		t.Fatal(err)
	}
	var v int64
	json.Unmarshal(welcome["v"], &v)
	if v < n {
		t.Fatalf("after restart: version %d, want at least %d", v, n)
	}
	texts := map[string]bool{}
	for _, card := range board.Cards {
		texts[*card.Text] = true
	}
	for i := range n {
		if !texts[fmt.Sprint("card ", i)] {
			t.Errorf("acknowledged card %d is missing after kill -9", i)
		}
	}
	// The same person comes back with their token, and their resent op
	// is acknowledged once, not applied again.
	again := dial(t, p2.URL)
	again.join(map[string]any{"code": w.Code, "token": c.you.Token})
	if again.you.ID != c.you.ID {
		t.Fatalf("token resumed %s, want %s", again.you.ID, c.you.ID)
	}
	again.sendJSON(map[string]any{"t": "op", "id": ids[c][0], "op": addCard("card 0", nil, nil)})
	if got, code := again.ack(ids[c][0]); got != 1 || code != "" {
		t.Fatalf("re-sent first op: got version %d (%q), want the original 1", got, code)
	}
}
