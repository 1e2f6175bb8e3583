package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// Timings of a phone on a cluster that is failing over or moving slots.
const (
	// ackWait bounds how long a phone re-sends an op the cluster cannot
	// take yet (its slot's master is down, or the slot is on the move).
	ackWait = 30 * time.Second
	// resendAfter is how long a phone waits before sending a refused op
	// again, with the same id.
	resendAfter = 100 * time.Millisecond
)

// clusterPhone follows its board as a phone does through a failover: op
// frames in order, and a welcome (a new epoch, or a resync) replacing what
// it had. Any gap or repeat in versions fails the test: that would be two
// histories mixed.
type clusterPhone struct {
	*wsClient
	code  string
	v     int64
	cards map[string]string // card id -> text
	acked map[string]string // card id -> text, of the ops it had acknowledged
}

func joinClusterPhone(t *testing.T, base, code string) *clusterPhone {
	t.Helper()
	p := &clusterPhone{wsClient: dial(t, base), code: code, cards: map[string]string{}, acked: map[string]string{}}
	p.sendJSON(map[string]any{"t": "join", "code": code, "role": "staff"})
	for p.epoch == "" {
		p.read(t, p.next())
	}
	return p
}

// read applies one frame and returns its type.
func (p *clusterPhone) read(t *testing.T, f map[string]json.RawMessage) string {
	t.Helper()
	switch typ := str(f["t"]); typ {
	case "welcome":
		json.Unmarshal(f["you"], &p.you)
		p.epoch = str(f["epoch"])
		if f["board"] != nil {
			p.cards = map[string]string{}
			var b board.BoardView
			if err := json.Unmarshal(f["board"], &b); err != nil {
				t.Fatal(err)
			}
			for _, c := range b.Cards {
				p.cards[c.ID] = strDeref(c.Text)
			}
			json.Unmarshal(f["v"], &p.v)
		}
		var ops []board.Entry
		json.Unmarshal(f["ops"], &ops)
		for _, e := range ops {
			p.apply(t, e)
		}
		return typ
	case "op":
		var e board.Entry
		if err := json.Unmarshal(mustJSON(f), &e); err != nil {
			t.Fatalf("decode op frame: %v", err)
		}
		p.apply(t, e)
		return typ
	case "error":
		t.Fatalf("phone got error %s: %s", f["code"], f["message"])
		return typ
	default:
		return typ
	}
}

func (p *clusterPhone) apply(t *testing.T, e board.Entry) {
	t.Helper()
	if e.V != p.v+1 {
		t.Fatalf("phone at v%d in epoch %s got op v%d: histories mixed or a gap", p.v, p.epoch, e.V)
	}
	p.v = e.V
	if e.Op.Kind == board.KindCardAdd && e.Op.Card != nil {
		p.cards[e.Op.Card.ID] = e.Op.Card.Text
	}
}

// add sends a card and waits for its ack, sending it again (same id, so
// it is applied once) while the cluster refuses it as unavailable.
func (p *clusterPhone) add(t *testing.T, text string) {
	t.Helper()
	cardID, opID := uuid.NewString(), uuid.NewString()
	send := func() {
		p.sendJSON(map[string]any{"t": "op", "id": opID, "op": map[string]any{"kind": "card.add",
			"card": map[string]any{"id": cardID, "text": text}}})
	}
	send()
	for deadline := time.Now().Add(ackWait); ; {
		f := p.next()
		typ := p.read(t, f)
		if (typ != "ack" && typ != "nack") || str(f["id"]) != opID {
			continue
		}
		if typ == "ack" {
			p.acked[cardID] = text
			return
		}
		if code := str(f["code"]); code != board.CodeUnavailable && code != board.CodeRateLimited || time.Now().After(deadline) {
			t.Fatalf("op %q refused with %s", text, code)
		}
		time.Sleep(resendAfter)
		send()
	}
}

// drain applies the frames already received.
func (p *clusterPhone) drain(t *testing.T) {
	t.Helper()
	for {
		select {
		case f, ok := <-p.frames:
			if !ok {
				t.Fatalf("phone closed at v%d", p.v)
			}
			p.read(t, f)
		default:
			return
		}
	}
}

func strDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
