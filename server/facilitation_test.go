package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// rawSoFar drains the frames a client received until it has seen version
// v, and returns everything it received, as bytes.
func (c *wsClient) rawUpTo(v int64) string {
	c.t.Helper()
	for c.board.V < v {
		c.expect("op")
	}
	var all strings.Builder
	for {
		select {
		case raw := <-c.raw:
			all.Write(raw)
			all.WriteByte('\n')
		default:
			return all.String()
		}
	}
}

// TestPrivateOnTheWire: while ideas are private, no frame a participant
// receives (welcome, ops, a resume with since) carries another person's
// card text, whatever instance they are on; the reveal sends it all.
func TestPrivateOnTheWire(t *testing.T) {
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		one, two := newServer(t), newServer(t) // two instances
		w := createWorkshop(t, one.URL, "Private")
		fac := dial(t, one.URL)
		fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
		fac.board = board.NewBoard()
		a := dial(t, one.URL)
		a.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		a.board = board.NewBoard()
		b := dial(t, two.URL)
		b.join(map[string]any{"code": w.Code, "role": "staff"})
		b.board = board.NewBoard()

		fac.ack(fac.op(map[string]any{"kind": "phase.set", "phase": "private"}))
		addA := addCard("alpha-secret", "plan", "participation")
		a.ack(a.op(addA))
		cardA := addA["card"].(map[string]any)["id"]
		a.ack(a.op(map[string]any{"kind": "card.edit", "cardId": cardA, "text": "alpha-secret-edited"}))
		b.ack(b.op(addCard("bravo-secret", "do", "consultation")))
		fac.ack(fac.op(map[string]any{"kind": "card.edit", "cardId": cardA, "text": "alpha-secret-by-facilitator"}))
		if _, code := b.ack(b.op(map[string]any{"kind": "card.move", "cardId": cardA, "stage": "do", "level": "conversation"})); code != board.CodeLocked {
			t.Errorf("moving someone else's card in private: got %q, want locked", code)
		}

		const v = 5
		for _, tt := range []struct {
			name      string
			c         *wsClient
			must, not []string
		}{
			{"author A", a, []string{"alpha-secret-by-facilitator"}, []string{"bravo-secret"}},
			{"author B on the other instance", b, []string{"bravo-secret"}, []string{"alpha-secret"}},
			{"facilitator", fac, []string{"alpha-secret-by-facilitator", "bravo-secret"}, nil},
		} {
			raw := tt.c.rawUpTo(v)
			for _, s := range tt.must {
				if !strings.Contains(raw, s) {
					t.Errorf("%s: frames lack %q", tt.name, s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(raw, s) {
					t.Errorf("%s: frames carry someone else's private text %q", tt.name, s)
				}
			}
		}

		// Joining and resuming while private: no one else's text.
		late := dial(t, two.URL)
		late.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		resumed := dial(t, two.URL)
		resumed.join(map[string]any{"code": w.Code, "token": b.you.Token, "since": 1, "epoch": b.epoch})
		if raw := string(<-late.raw); strings.Contains(raw, "secret") {
			t.Errorf("late joiner's welcome carries private text: %s", raw)
		}
		if raw := string(<-resumed.raw); strings.Contains(raw, "alpha-secret") || !strings.Contains(raw, "bravo-secret") {
			t.Errorf("resume with since: want own text and no one else's, got %s", raw)
		}

		// The reveal carries every card to each participant, at once.
		fac.ack(fac.op(map[string]any{"kind": "phase.set", "phase": "open"}))
		for name, c := range map[string]*wsClient{"A": a, "B": b} {
			f := c.expect("op")
			var revealed []board.CardView
			json.Unmarshal(f["revealed"], &revealed)
			texts := map[string]bool{}
			for _, card := range revealed {
				if card.Text != nil {
					texts[*card.Text] = true
				}
			}
			want := map[string]string{"A": "bravo-secret", "B": "alpha-secret-by-facilitator"}[name]
			if !texts[want] {
				t.Errorf("%s: reveal lacks %q: %s", name, want, f["revealed"])
			}
		}
		// A resume from before the reveal gets the whole board, with text.
		again := dial(t, one.URL)
		welcome := again.join(map[string]any{"code": w.Code, "token": a.you.Token, "since": 2, "epoch": a.epoch})
		if !strings.Contains(string(welcome["board"]), "bravo-secret") {
			t.Errorf("resume across the reveal: want a board with every text, got %s", mustJSON(welcome))
		}
	})
}

// TestRemoval: the facilitator removes people; their connections close
// with removed, their token no longer joins, and their cards go only when
// asked.
func TestRemoval(t *testing.T) {
	eachStore(t, func(t *testing.T, newServer func(t *testing.T) *testServer) {
		one, two := newServer(t), newServer(t)
		w := createWorkshop(t, one.URL, "Removal")
		fac := dial(t, one.URL)
		fac.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
		stay := dial(t, one.URL)
		stay.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		goner := dial(t, two.URL)
		goner.join(map[string]any{"code": w.Code, "role": "staff"})
		gonerTab := dial(t, one.URL) // the same person in a second tab
		gonerTab.join(map[string]any{"code": w.Code, "token": goner.you.Token})
		goner.ack(goner.op(addCard("kept after removal", "review", "conversation")))
		cleared := dial(t, one.URL)
		cleared.join(map[string]any{"code": w.Code, "role": "serviceUser"})
		cleared.ack(cleared.op(addCard("removed with its author", "review", "consultation")))

		if _, code := stay.ack(stay.op(map[string]any{"kind": "participant.remove", "participantId": goner.you.ID, "removeCards": false})); code != board.CodeForbidden {
			t.Fatalf("a participant removing someone: got %q, want forbidden", code)
		}
		if _, code := fac.ack(fac.op(map[string]any{"kind": "participant.remove", "participantId": goner.you.ID, "removeCards": false})); code != "" {
			t.Fatalf("remove: refused with %s", code)
		}
		for name, c := range map[string]*wsClient{"on the other instance": goner, "second tab": gonerTab} {
			f := waitFrame(t, c, "error")
			if str(f["code"]) != board.CodeRemoved {
				t.Errorf("%s: got error %s, want removed", name, f["code"])
			}
		}
		back := dial(t, two.URL)
		back.sendJSON(map[string]any{"t": "join", "code": w.Code, "token": goner.you.Token})
		if f := waitFrame(t, back, "error"); str(f["code"]) != board.CodeRemoved {
			t.Errorf("removed person's token: got %s, want error removed", f["code"])
		}
		if _, code := fac.ack(fac.op(map[string]any{"kind": "participant.remove", "participantId": cleared.you.ID, "removeCards": true})); code != "" {
			t.Fatalf("remove with cards: refused with %s", code)
		}
		if _, code := fac.ack(fac.op(map[string]any{"kind": "participant.remove", "participantId": cleared.you.ID, "removeCards": true})); code != board.CodeNotFound {
			t.Errorf("removing someone twice: got %q, want notFound", code)
		}
		// The other instance hears of the removal a moment after its ack:
		// a join there may be welcomed to the board just before it (and is
		// sent the removal next). Once it has heard, a join sees it.
		var bv board.BoardView
		eventually(t, "a join on the other instance after the removals", func() error {
			welcome := dial(t, two.URL).join(map[string]any{"code": w.Code, "role": "staff"})
			bv = board.BoardView{}
			json.Unmarshal(welcome["board"], &bv)
			if len(bv.Cards) != 1 || *bv.Cards[0].Text != "kept after removal" {
				return fmt.Errorf("cards after removals: got %s, want only the card kept after removal: %w", mustJSON(bv.Cards), errNotYet)
			}
			return nil
		})
		for _, p := range bv.Participants {
			if p.ID == goner.you.ID || p.ID == cleared.you.ID {
				t.Errorf("removed person %s still listed", p.ID)
			}
		}
	})
}

// waitFrame returns the next frame of type typ, skipping others, without
// failing on error frames.
func waitFrame(t *testing.T, c *wsClient, typ string) map[string]json.RawMessage {
	t.Helper()
	deadline := time.After(frameWait)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				t.Fatalf("connection closed before a %s frame", typ)
			}
			if str(f["t"]) == typ {
				return f
			}
		case <-deadline:
			t.Fatalf("no %s frame within %v", typ, frameWait)
		}
	}
}
