package hub

import (
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
)

// queueInbox is an inbox that can also be queued to (a Queuer); it counts
// the op frames that came each way.
type queueInbox struct {
	*inbox
	sent, queued atomic.Int32
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

// TestBroadcastQueuesPastDirectSends: a broadcast is sent with Send to at
// most directSends members, who may be written to on the room's
// goroutine, and queued to the rest; members that cannot be queued to are
// sent to all the same.
func TestBroadcastQueuesPastDirectSends(t *testing.T) {
	h, w, s, plain := openWorkshop(t, openTestEmbedded(t), RoleStaff)
	const queuers = directSends + 8
	members := make([]*queueInbox, queuers)
	for i := range members {
		members[i] = &queueInbox{inbox: newInbox()}
		if _, err := h.Join(t.Context(), w.Code, JoinRequest{Role: RoleServiceUser}, members[i]); err != nil {
			t.Fatal(err)
		}
	}

	s.Submit(uuid.NewString(), Op{Kind: KindCardAdd, Card: &CardInput{ID: uuid.NewString(), Text: "for everyone"}})
	from := 0
	plain.waitFor(t, "op", &from)
	var sent, queued int32
	for _, m := range members {
		from := 0
		m.waitFor(t, "op", &from)
		sent += m.sent.Load()
		queued += m.queued.Load()
	}
	// The plain member took one of the direct sends, or was sent to
	// past them because it cannot be queued to.
	if sent+queued != queuers || queued < queuers-directSends || queued > queuers-directSends+1 {
		t.Fatalf("op sent to %d and queued to %d of %d members that can be queued to; want %d or %d queued",
			sent, queued, queuers, queuers-directSends, queuers-directSends+1)
	}
}
