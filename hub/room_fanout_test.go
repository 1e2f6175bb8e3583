package hub

import (
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// queueInbox is an inbox that can also be queued to (a Queuer); it counts
// the op frames that came each way.
type queueInbox struct {
	*inbox
	sent, queued atomic.Int32
	from         int // for waitFor
}

func isOpFrame(frame []byte) bool {
	var h struct{ T string }
	json.Unmarshal(frame, &h)
	return h.T == "op"
}

func (m *queueInbox) Send(frame []byte) bool {
	if isOpFrame(frame) {
		m.sent.Add(1)
	}
	return m.inbox.Send(frame)
}

func (m *queueInbox) Queue(frame []byte) bool {
	if isOpFrame(frame) {
		m.queued.Add(1)
	}
	return m.inbox.Send(frame)
}

// TestBigRoomsQueueBroadcasts: a room of at most directSends members
// sends a broadcast with Send, which may write it on the room's goroutine;
// a bigger room queues it to every member that can be queued to, and
// sends it to the others.
func TestBigRoomsQueueBroadcasts(t *testing.T) {
	h, w, s, plain := openWorkshop(t, openTestEmbedded(t), board.RoleStaff)
	var members []*queueInbox
	join := func() {
		m := &queueInbox{inbox: newInbox()}
		if _, err := h.Join(t.Context(), w.Code, JoinRequest{Role: board.RoleServiceUser}, m); err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	plainFrom := 0
	// broadcast submits an op and says how many of members it was sent
	// to and queued to.
	broadcast := func() (sent, queued int32) {
		t.Helper()
		s.Submit(uuid.NewString(), board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "for everyone"}})
		plain.waitFor(t, "op", &plainFrom)
		for _, m := range members {
			m.waitFor(t, "op", &m.from)
			sent += m.sent.Swap(0)
			queued += m.queued.Swap(0)
		}
		return sent, queued
	}

	for len(members) < directSends-1 {
		join()
	}
	if sent, queued := broadcast(); sent != directSends-1 || queued != 0 {
		t.Fatalf("in a room of %d: op sent to %d and queued to %d of %d; want it sent to all", directSends, sent, queued, len(members))
	}
	join()
	if sent, queued := broadcast(); sent != 0 || queued != directSends {
		t.Fatalf("in a room of %d: op sent to %d and queued to %d of %d; want it queued to all", directSends+1, sent, queued, len(members))
	}
}

// pairInbox is an inbox that can be sent two frames at once (a
// PairSender); it keeps the pairs.
type pairInbox struct {
	*inbox
	pairMu sync.Mutex
	pairs  [][2][]byte
}

func (m *pairInbox) SendPair(first, second []byte) bool {
	m.pairMu.Lock()
	m.pairs = append(m.pairs, [2][]byte{first, second})
	m.pairMu.Unlock()
	return m.inbox.Send(first) && m.inbox.Send(second)
}

func (m *pairInbox) sentPairs() [][2][]byte {
	m.pairMu.Lock()
	defer m.pairMu.Unlock()
	return slices.Clone(m.pairs)
}

// TestSenderGetsOpAndAckTogether: the member whose op a room sends out
// gets the op frame and then its ack in one SendPair; the other members
// get the op frame. An op sent again gets its ack alone.
func TestSenderGetsOpAndAckTogether(t *testing.T) {
	h, w, _, plain := openWorkshop(t, openTestEmbedded(t), board.RoleStaff)
	m := &pairInbox{inbox: newInbox()}
	s, jerr := h.Join(t.Context(), w.Code, JoinRequest{Role: board.RoleServiceUser}, m)
	if jerr != nil {
		t.Fatal(jerr)
	}
	from, plainFrom := 0, 0
	m.waitFor(t, "welcome", &from)

	id := uuid.NewString()
	op := board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: "together"}}
	s.Submit(id, op)
	ack := m.waitFor(t, "ack", &from)
	plain.waitFor(t, "op", &plainFrom)
	pairs := m.sentPairs()
	if len(pairs) != 1 {
		t.Fatalf("%d pairs sent to the op's sender, want 1", len(pairs))
	}
	var got struct{ T, ID string }
	if json.Unmarshal(pairs[0][1], &got); !isOpFrame(pairs[0][0]) || got.T != "ack" || got.ID != id {
		t.Fatalf("pair sent %s then %s; want the op frame, then the ack of %s", pairs[0][0], pairs[0][1], id)
	}

	s.Submit(id, op)
	if again := m.waitFor(t, "ack", &from); string(again["v"]) != string(ack["v"]) {
		t.Fatalf("op sent again acked at version %s, want %s", again["v"], ack["v"])
	}
	if n := len(m.sentPairs()); n != 1 {
		t.Fatalf("%d pairs sent after the op was sent again, want still 1", n)
	}
}
