package hub

import (
	"time"

	"github.com/withboard/withboard/hub/board"
)

func unavailable() *board.Error {
	return &board.Error{Code: board.CodeUnavailable, Message: "The server cannot save changes right now. Your change will be sent again shortly."}
}

// admitOp reports whether an op from s may be checked at all: s is still
// a member, was not removed, and gave the op an id. Otherwise s has been
// answered.
func (r *Room) admitOp(s *Session, id string) bool {
	if _, ok := r.members[s]; !ok {
		return false
	}
	if s.isWall() {
		r.send(s, NackFrame(id, board.Refuse(board.CodeForbidden, "This screen shows the board; it cannot change it.")))
		return false
	}
	if !board.IsUUID(id) {
		r.send(s, NackFrame(id, board.Refuse(board.CodeInvalid, "Each change needs an id (a UUID).")))
		return false
	}
	if r.board.Removed[s.you.ID] {
		r.dropMember(s, ErrorFrame(&board.Error{Code: board.CodeRemoved, Message: "You were removed from this workshop."}))
		return false
	}
	return true
}

// catchUpTo applies what the log holds after the board, up to top, the
// version an append found. Anything out of the ordinary (another epoch, a
// trimmed log, a failed read) gets the full catch-up.
func (r *Room) catchUpTo(top int64) {
	if top <= r.board.V {
		r.catchUp()
		return
	}
	ctx, cancel := r.storeCtx()
	defer cancel()
	entries, err := r.hub.store.Entries(ctx, r.w.ID, r.board.V)
	if err != nil {
		r.catchUp()
		return
	}
	for _, e := range entries {
		if e.Epoch != r.epoch {
			r.catchUp()
			return
		}
		if e.V == r.board.V+1 {
			r.apply(e)
		}
	}
	if r.board.V < top {
		r.catchUp()
	}
}

// prepare checks an op, including what only the room knows: who exists.
func (r *Room) prepare(e *board.Entry) *board.Error {
	op := e.Op
	if op.Kind == board.KindParticipantRemove && e.ByRole == board.RoleFacilitator && r.people.byID[op.ParticipantID] == nil {
		r.refreshPeople()
		if r.people.byID[op.ParticipantID] == nil {
			return board.Refuse(board.CodeNotFound, "That person is not in this workshop.")
		}
	}
	return r.board.Prepare(e)
}

// refuseOp answers a refused op, unless the op id was accepted before: a
// re-sent op gets its original ack even if it would be refused now.
func (r *Room) refuseOp(s *Session, id string, err *board.Error) {
	if err.Code != board.CodeUnavailable {
		ctx, cancel := r.storeCtx()
		v, lookErr := r.hub.store.OpVersion(ctx, r.w.ID, id)
		cancel()
		if lookErr == nil {
			r.send(s, AckFrame(id, v))
			return
		}
	}
	r.hub.obs.OpDone(err.Code)
	r.send(s, NackFrame(id, err))
}

// apply applies an entry another instance appended, at the next version,
// and sends it out.
func (r *Room) apply(e board.Entry) {
	r.board.Apply(e)
	r.sendOut(e, nil, nil)
	r.maybeSnapshot()
}

// sendOut sends an applied entry to every member (see broadcast), and
// closes the connections of a person it removed.
func (r *Room) sendOut(e board.Entry, sender *Session, ack []byte) {
	r.broadcast(e, sender, ack)
	if e.Op.Kind == board.KindParticipantRemove {
		r.removed(e.Op.ParticipantID)
	}
}

// broadcast sends an applied entry to every member, encoded once for each
// kind of recipient (see board.Audience), and alone for a member it
// reveals something to. The entry's sender, if given and a member, gets
// ack along with the op frame.
func (r *Room) broadcast(e board.Entry, sender *Session, ack []byte) {
	start := time.Now()
	defer func() { r.hub.obs.FanOut(time.Since(start), len(r.members)) }()

	audience := e.Audience()
	var frames [board.NumViewKeys][]byte
	for s := range r.members {
		viewer := s.viewer()
		var frame []byte
		if key := audience.Key(viewer); key == board.Revealing {
			frame = board.OpFrame(r.board.Reveal(&e, viewer))
		} else {
			if frames[key] == nil {
				frames[key] = board.OpFrame(e.View(viewer))
			}
			frame = frames[key]
		}
		if s == sender {
			r.sendWithAck(s, frame, ack)
		} else {
			r.sendEach(s, frame)
		}
	}
}

// maybeSnapshot stores a snapshot when enough versions have passed since
// the last, and none is in flight: a snapshot holds only durable ops.
func (r *Room) maybeSnapshot() {
	if len(r.inflight) == 0 && r.board.V-r.snapV >= snapshotEvery {
		r.snapshot()
	}
}

// removed closes a removed person's connections and tells the others.
func (r *Room) removed(id string) {
	for s := range r.members {
		if s.you.ID == id {
			r.dropMember(s, ErrorFrame(&board.Error{Code: board.CodeRemoved, Message: "The facilitator removed you from this workshop."}))
		}
	}
	r.broadcastPresence()
}

// snapshot stores the board so that loading the room stays fast; a failed
// snapshot is retried at the next version.
func (r *Room) snapshot() {
	data, err := r.board.MarshalBoard()
	if err != nil {
		r.log.Error("encode snapshot", "err", err)
		return
	}
	ctx, cancel := r.storeCtx()
	defer cancel()
	if err := r.hub.store.PutSnapshot(ctx, r.w.ID, Snapshot{V: r.board.V, Board: data}); err != nil {
		r.log.Warn("store snapshot", "err", err)
		return
	}
	r.snapV = r.board.V
}
