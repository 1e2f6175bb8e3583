package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/withboard/withboard/hub"
)

// Wire tests of the wall, secret ballots, results hidden until shown and
// closed joins (the contract's v1.1), on one instance and across two.

// opAt reads c's frames until the op frame of version v, and returns it.
func (c *wsClient) opAt(v int64) map[string]json.RawMessage {
	c.t.Helper()
	for {
		f := c.expect("op")
		var got int64
		json.Unmarshal(f["v"], &got)
		if got == v {
			return f
		}
		if got > v {
			c.t.Fatalf("op frame version %d passed %d", got, v)
		}
	}
}

// rawSoFar returns every frame c has received so far, as text.
func (c *wsClient) rawSoFar() string {
	var b strings.Builder
	for {
		select {
		case data := <-c.raw:
			b.Write(data)
			b.WriteByte('\n')
		default:
			return b.String()
		}
	}
}

// opFields decodes an op frame's op.
func opFields(t *testing.T, f map[string]json.RawMessage) map[string]any {
	t.Helper()
	var op map[string]any
	if err := json.Unmarshal(f["op"], &op); err != nil {
		t.Fatal(err)
	}
	return op
}

func TestWallOnTheWire(t *testing.T) {
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		one, two := newServer(t), newServer(t)
		w := createWorkshop(t, one.URL, "Wall")
		fac := dial(t, one.URL)
		fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
		sam := dial(t, one.URL)
		sam.join(map[string]any{"code": w.Code, "role": "serviceUser", "name": "Sam"})
		wall := dial(t, two.URL)
		welcome := wall.join(map[string]any{"code": w.Code, "view": "wall", "role": "staff", "name": "ignored"})
		if got := string(welcome["you"]); got != `{"role":"wall"}` {
			t.Errorf("wall welcome.you = %s, want {\"role\":\"wall\"}", got)
		}

		v, _ := fac.ack(fac.op(map[string]any{"kind": "phase.set", "phase": "private"}))
		wall.opAt(v)
		v, code := sam.ack(sam.op(addCard("a private thought", "plan", "consultation")))
		if code != "" {
			t.Fatalf("card.add: %s", code)
		}
		wall.opAt(v)
		id := wall.op(map[string]any{"kind": "focus.set", "stage": "plan"})
		if _, code := wall.ack(id); code != "forbidden" {
			t.Errorf("an op from a wall: got %q, want forbidden", code)
		}
		// A wall joining now, and one resuming from before the card.
		late := dial(t, one.URL)
		late.join(map[string]any{"code": w.Code, "view": "wall"})
		resumed := dial(t, one.URL)
		resumed.join(map[string]any{"code": w.Code, "view": "wall", "since": v - 1, "epoch": wall.epoch})
		for name, c := range map[string]*wsClient{"live wall": wall, "late wall": late, "resumed wall": resumed} {
			if seen := c.rawSoFar(); strings.Contains(seen, "a private thought") {
				t.Errorf("%s received private text in phase private:\n%s", name, seen)
			}
		}
		// Presence comes at most every quarter second: wait for the one
		// after the walls joined, which lists everyone online.
		for {
			f := sam.expect("presence")
			if strings.Count(string(f["people"]), `"online":true`) == 2 {
				if strings.Contains(string(f["people"]), "wall") {
					t.Errorf("a wall is in presence: %s", f["people"])
				}
				break
			}
		}

		v, _ = fac.ack(fac.op(map[string]any{"kind": "phase.set", "phase": "open"}))
		if f := wall.opAt(v); !strings.Contains(string(f["revealed"]), "a private thought") {
			t.Errorf("the reveal did not show the wall the card: %s", f["revealed"])
		}
	})
}

func TestSecretBallotsAndHiddenResultsOnTheWire(t *testing.T) {
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		one, two := newServer(t), newServer(t)
		w := createWorkshop(t, one.URL, "Ballots")
		fac := dial(t, one.URL)
		fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
		sam := dial(t, one.URL)
		sam.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		kim := dial(t, two.URL)
		kim.join(map[string]any{"code": w.Code, "role": "staff"})
		wall := dial(t, two.URL)
		wall.join(map[string]any{"code": w.Code, "view": "wall"})

		add := addCard("Ask us first", "plan", "consultation")
		card := add["card"].(map[string]any)["id"].(string)
		sam.ack(sam.op(add))
		fac.ack(fac.op(map[string]any{"kind": "stage.agree", "stage": "plan", "level": "conversation", "note": ""}))
		v, _ := fac.ack(fac.op(map[string]any{"kind": "results.set", "shown": false}))
		for _, c := range []*wsClient{sam, kim, wall} {
			c.opAt(v)
		}

		// While results are hidden: a vote, then an answer.
		vote, _ := sam.ack(sam.op(map[string]any{"kind": "card.vote", "cardId": card, "delta": 1}))
		for _, tc := range []struct {
			name    string
			c       *wsClient
			results bool
		}{{"facilitator", fac, true}, {"participant", kim, false}, {"wall", wall, false}} {
			f := tc.c.opAt(vote)
			op := opFields(t, f)
			if _, ok := f["by"]; ok {
				t.Errorf("%s: a vote while hidden carries by", tc.name)
			}
			if tc.results != (op["cardId"] == card) || (!tc.results && len(op) != 1) {
				t.Errorf("%s: a vote while hidden: op %v (results shown to it: %v)", tc.name, op, tc.results)
			}
		}
		answer, _ := kim.ack(kim.op(map[string]any{"kind": "consent.set", "stage": "plan", "answer": "disagree"}))
		for _, tc := range []struct {
			name    string
			c       *wsClient
			results bool
		}{{"facilitator", fac, true}, {"participant", sam, false}, {"wall", wall, false}} {
			f := tc.c.opAt(answer)
			op := opFields(t, f)
			_, by := f["by"]
			_, ans := op["answer"]
			_, counts := f["counts"]
			if by || ans || counts != tc.results {
				t.Errorf("%s: an answer while hidden: %s %s (results shown to it: %v)", tc.name, f["op"], f["counts"], tc.results)
			}
		}
		// A joiner's board while hidden: its own votes only.
		late := dial(t, two.URL)
		wb := late.join(map[string]any{"code": w.Code, "token": sam.you.Token})
		if s := string(wb["board"]); strings.Contains(s, `"votes":`) || strings.Contains(s, `"consent":`) || !strings.Contains(s, `"myVotes":1`) {
			t.Errorf("a participant's board while results are hidden: %s", s)
		}

		// Shown: everyone gets the counts.
		v, _ = fac.ack(fac.op(map[string]any{"kind": "results.set", "shown": true}))
		for _, c := range []*wsClient{sam, kim, wall} {
			f := c.opAt(v)
			if !strings.Contains(string(f["votes"]), card+`":1`) || !strings.Contains(string(f["consent"]), `"disagree":1`) {
				t.Errorf("results shown: votes %s consent %s", f["votes"], f["consent"])
			}
		}
		v, _ = sam.ack(sam.op(map[string]any{"kind": "card.vote", "cardId": card, "delta": -1}))
		for _, c := range []*wsClient{fac, kim, wall} {
			f := c.opAt(v)
			if _, ok := f["by"]; ok || opFields(t, f)["delta"] != -1.0 {
				t.Errorf("a vote while shown: by %s op %s, want no by, the delta", f["by"], f["op"])
			}
		}
		for _, c := range []*wsClient{fac, kim, wall} {
			if seen := c.rawSoFar(); voteNamesVoter(seen, sam.you.ID) {
				t.Errorf("someone else received a vote naming its voter:\n%s", seen)
			}
		}
	})
}

// voteNamesVoter says whether some frame in seen is a card.vote naming id.
func voteNamesVoter(seen, id string) bool {
	for _, line := range strings.Split(seen, "\n") {
		if strings.Contains(line, `"kind":"card.vote"`) && strings.Contains(line, `"by":"`+id+`"`) {
			return true
		}
	}
	return false
}

func TestJoinsClosedAndCapacity(t *testing.T) {
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		one := newServer(t)
		w := createWorkshop(t, one.URL, "Doors")
		fac := dial(t, one.URL)
		fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
		sam := dial(t, one.URL)
		sam.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		fac.ack(fac.op(map[string]any{"kind": "joins.set", "open": false}))

		refused := func(frame map[string]any, want string) {
			t.Helper()
			c := dial(t, one.URL)
			frame["t"] = "join"
			c.sendJSON(frame)
			if f := c.next(); str(f["t"]) != "error" || str(f["code"]) != want {
				t.Errorf("join %v while closed: got %s %s, want error %s", frame, f["t"], f["code"], want)
			}
		}
		refused(map[string]any{"code": w.Code, "role": "staff"}, "locked")
		refused(map[string]any{"code": w.Code, "view": "wall"}, "locked")
		dial(t, one.URL).join(map[string]any{"code": w.Code, "view": "wall", "key": w.FacilitatorKey})
		dial(t, one.URL).join(map[string]any{"code": w.Code, "token": sam.you.Token})
		dial(t, one.URL).join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})

		fac.ack(fac.op(map[string]any{"kind": "participant.remove", "participantId": sam.you.ID, "removeCards": false}))
		refused(map[string]any{"code": w.Code, "token": sam.you.Token}, "removed")
	})
	t.Run("capacity", func(t *testing.T) {
		store, err := hub.OpenEmbedded(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		srv := newTestServerWith(t, store, hub.Config{MaxParticipants: 2})
		w := createWorkshop(t, srv.URL, "Small room")
		a, b := dial(t, srv.URL), dial(t, srv.URL)
		a.join(map[string]any{"code": w.Code, "role": "staff"})
		b.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		c := dial(t, srv.URL)
		c.sendJSON(map[string]any{"t": "join", "code": w.Code, "role": "serviceUser"})
		if f := c.next(); str(f["code"]) != "full" {
			t.Errorf("a third person in a room for two: got %s %s, want error full", f["t"], f["code"])
		}
		dial(t, srv.URL).join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
		dial(t, srv.URL).join(map[string]any{"code": w.Code, "token": a.you.Token})
	})
}
