package hub

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// The one way an op is appended. The room checks the op against its board,
// the store gives it the next version (AppendAsync), and the room applies
// it to the board at once, so that the next op is checked against it. It
// sends the op to the members and acknowledges it only once it is durable,
// in version order (settle). A store whose appends are durable when they
// return (Redis) settles at once; the embedded store's log lets a busy
// room take its next op while the last is written to disk. Until an op is
// durable no one outside the room has seen it: joins, barrier ops (a phase
// change reveals hidden text, a removal closes connections), catching up
// and snapshots wait until nothing is in flight.

// maxInflight bounds a room's ops in flight; past it the room waits.
const maxInflight = 64

// inflightOp is an op with a version that is not yet sent out.
type inflightOp struct {
	s     *Session
	id    string
	e     board.Entry // with its version
	dup   bool        // a re-sent op: only the ack is owed
	wait  Pending
	start time.Time
}

// mustWait reports whether a request must wait until nothing is in flight.
func (r *Room) mustWait(msg any) bool {
	switch m := msg.(type) {
	case opReq:
		return board.IsBarrier(m.op.Kind)
	case leaveReq:
		return false
	}
	return true
}

// submit appends an op from a member; true when the room must end (an
// append failed, see settle). A version conflict (another instance
// appended first) is met by catching up and checking again, which the
// room can do only with nothing in flight; otherwise the op is held until
// then. An op made on a board older than the op ids kept is answered by
// answerStale.
func (r *Room) submit(m opReq) (end bool) {
	s, id := m.s, m.id
	if !r.admitOp(s, id) {
		return false
	}
	start := time.Now()
	for _, it := range r.inflight {
		if it.id == id { // sent again before its ack
			r.inflight = append(r.inflight, inflightOp{s: s, id: id, e: it.e, dup: true, wait: it.wait, start: start})
			return false
		}
	}
	for attempt := range appendAttempts {
		if m.base >= 0 && m.base < r.board.V-opsKept {
			r.answerStale(s, id)
			return false
		}
		e := board.Entry{ID: id, By: s.you.ID, ByRole: s.you.Role, At: time.Now().UTC().Truncate(time.Millisecond), Op: m.op, Epoch: r.epoch}
		if err := r.prepare(&e); err != nil {
			r.refuseOp(s, id, err)
			return false
		}
		ctx, cancel := r.storeCtx()
		v, wait, err := r.hub.store.AppendAsync(ctx, r.w.ID, r.board.V, e)
		cancel()
		switch {
		case err == nil:
			e.V = v
			r.board.Apply(e)
			r.inflight = append(r.inflight, inflightOp{s: s, id: id, e: e, wait: wait, start: start})
			return r.settleNow(board.IsBarrier(e.Op.Kind))
		case errors.Is(err, ErrDuplicate) && wait != nil:
			e.V = v
			r.inflight = append(r.inflight, inflightOp{s: s, id: id, e: e, dup: true, wait: wait, start: start})
			return false
		case errors.Is(err, ErrDuplicate):
			r.send(s, AckFrame(id, v))
			return false
		case errors.Is(err, ErrConflict):
			if len(r.inflight) > 0 {
				r.held = m
				return false
			}
			// Read what the other instance appended and check the op
			// again at once; back off only if that keeps happening.
			if attempt > 0 {
				time.Sleep(rand.N(conflictBackoff * time.Duration(min(attempt, 10))))
			}
			r.catchUpTo(v)
		default:
			r.hub.obs.StoreCall("append", time.Since(start), err)
			r.log.Warn("append op", "err", err)
			r.refuseOp(s, id, unavailable())
			return false
		}
	}
	r.refuseOp(s, id, unavailable())
	return false
}

// staleOp is the answer to an op whose base is so old that the server cannot
// tell whether it was accepted already.
const staleOp = "This change was made on a board that has moved on too far for the server to tell whether it was already saved, so it was not applied. Look at the board and make it again if it is missing."

// answerStale answers an op made on a board more than opsKept versions
// before the room's: any earlier acceptance of it was at a version above
// its base, which the op-id index may have forgotten. It gets its original
// ack if the index holds its id, else a refusal; nothing is applied.
func (r *Room) answerStale(s *Session, id string) {
	ctx, cancel := r.storeCtx()
	v, err := r.hub.store.OpVersion(ctx, r.w.ID, id)
	cancel()
	switch {
	case err == nil:
		r.send(s, AckFrame(id, v))
	case errors.Is(err, ErrNotFound):
		r.hub.obs.OpDone(board.CodeInvalid)
		r.send(s, NackFrame(id, board.Refuse(board.CodeInvalid, staleOp)))
	default:
		r.log.Warn("look up a stale op", "err", err)
		r.refuseOp(s, id, unavailable())
	}
}

// settleNow settles what is durable already: everything in flight when
// the store's appends are durable on return. A barrier op is waited for,
// so that no other op is taken before it is sent out.
func (r *Room) settleNow(barrier bool) (end bool) {
	last := r.inflight[len(r.inflight)-1].wait.Done()
	if !barrier {
		select {
		case <-last:
		default:
			return false
		}
	}
	<-last
	return !r.settle()
}

// settle sends out and acknowledges the ops in flight that are durable, in
// version order. If one failed, no later one can be kept either: they are
// all refused, and the room ends so that every member reloads what the
// store holds. settle returns false when the room must end.
func (r *Room) settle() bool {
	for len(r.inflight) > 0 {
		it := r.inflight[0]
		select {
		case <-it.wait.Done():
		default:
			return true
		}
		if err := it.wait.Err(); err != nil {
			r.hub.obs.StoreCall("append", time.Since(it.start), err)
			r.log.Warn("append op", "err", err)
			for _, it := range r.inflight {
				if _, ok := r.members[it.s]; ok {
					r.refuseOp(it.s, it.id, unavailable())
				}
			}
			r.inflight = nil
			r.closeAll(ErrorFrame(unavailable()))
			return false
		}
		r.inflight[0] = inflightOp{}
		r.inflight = r.inflight[1:]
		ack := AckFrame(it.id, it.e.V)
		if !it.dup {
			r.hub.obs.StoreCall("append", time.Since(it.start), nil)
			r.hub.obs.OpDone("")
			r.sendOut(it.e, it.s, ack)
		} else if _, ok := r.members[it.s]; ok {
			r.send(it.s, ack)
		}
	}
	r.inflight = nil // let the backing array go
	r.maybeSnapshot()
	return true
}
