package hub

import (
	"errors"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// Pipelining. With a store that can take appends before the last one is
// durable (the embedded store's log), a room does not wait out each op's
// write to disk before it takes the next. It gives the op its version and
// applies it to the board at once, so that the next op is checked against
// it, and sends it to the members and acknowledges it only once it is
// durable, in version order. Until then no one outside the room has seen
// it: joins, ops that do more than change the board (a phase change
// reveals hidden text, a removal closes connections), catching up and
// snapshots wait until nothing is in flight.

// maxInflight bounds a room's ops in flight; past it the room waits.
const maxInflight = 64

// inflightOp is an op with a version that is not yet durable.
type inflightOp struct {
	s     *Session
	id    string
	e     board.Entry // with its version
	dup   bool        // a re-sent op: only the ack is owed
	wait  Pending
	start time.Time
}

// pipelines reports whether an op may be appended while others are in
// flight.
func (r *Room) pipelines(op board.Op) bool {
	return r.hub.pipe != nil && op.Kind != board.KindPhaseSet && op.Kind != board.KindParticipantRemove
}

// mustWait reports whether a request must wait until nothing is in flight.
func (r *Room) mustWait(msg any) bool {
	switch m := msg.(type) {
	case opReq:
		return !r.pipelines(m.op)
	case leaveReq:
		return false
	}
	return true
}

// pipeOp checks an op and appends it without waiting for it to be durable.
// It returns false, having changed nothing, when the op must go the slow
// way instead: the store's log had moved on without this room.
func (r *Room) pipeOp(m opReq) bool {
	s, id := m.s, m.id
	if !r.admitOp(s, id) {
		return true
	}
	start := time.Now()
	for _, it := range r.inflight {
		if it.id == id { // sent again before its ack arrived
			r.inflight = append(r.inflight, inflightOp{s: s, id: id, e: it.e, dup: true, wait: it.wait, start: start})
			return true
		}
	}
	e := board.Entry{ID: id, By: s.you.ID, ByRole: s.you.Role, At: start.UTC().Truncate(time.Millisecond), Op: m.op, Epoch: r.epoch}
	if err := r.prepare(&e); err != nil {
		r.refuseOp(s, id, err)
		return true
	}
	ctx, cancel := r.storeCtx()
	v, wait, err := r.hub.pipe.AppendAsync(ctx, r.w.ID, r.board.V, e)
	cancel()
	switch {
	case err == nil:
		e.V = v
		r.board.Apply(e)
		r.inflight = append(r.inflight, inflightOp{s: s, id: id, e: e, wait: wait, start: start})
	case errors.Is(err, ErrDuplicate) && wait != nil:
		e.V = v
		r.inflight = append(r.inflight, inflightOp{s: s, id: id, e: e, dup: true, wait: wait, start: start})
	case errors.Is(err, ErrDuplicate):
		r.send(s, AckFrame(id, v))
	case errors.Is(err, ErrConflict):
		return false
	default:
		r.hub.obs.StoreCall("append", time.Since(start), err)
		r.log.Warn("append op", "err", err)
		r.refuseOp(s, id, unavailable())
	}
	return true
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
			r.broadcast(it.e, false, it.s, ack)
		} else if _, ok := r.members[it.s]; ok {
			r.send(it.s, ack)
		}
	}
	r.inflight = nil // let the backing array go
	r.maybeSnapshot()
	return true
}
