package hub

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// JoinRequest is what a join frame asks for, as the contract has it.
type JoinRequest struct {
	Name  string
	Role  board.Role
	Key   string
	Token string
	// Since is the last version the client applied, in history Epoch;
	// SinceID, when given, is the id of the op at Since, so that a
	// history that was rewound and went on differently is told apart.
	Since   *int64
	SinceID string
	Epoch   string
	// View is "wall" for a shared screen, which joins as no one.
	View string
	// PresenceDelta asks for presence frames with only what changed, after
	// one full frame.
	PresenceDelta bool
}

// ViewWall is the View of a wall's join.
const ViewWall = "wall"

// join admits a member as a new or returning participant and sends it
// welcome, then tells everyone who is here. A newcomer is admitted once
// its participant is written, while the room goes on (see save).
func (r *Room) join(m joinReq) {
	start := time.Now()
	you, fresh, err := r.identify(m.req)
	if err == nil && len(r.members) >= r.hub.cfg.MaxMembers {
		err = board.Refuse(board.CodeTooLarge, "This workshop is full. Ask the facilitator for help.")
	}
	switch {
	case err != nil:
		m.reply <- joinResult{err: err}
		r.hub.obs.Joined(time.Since(start))
	case fresh != nil:
		r.save(m, you, *fresh, start)
	default:
		r.admit(m, you, start)
	}
}

// admit makes a member of a joiner who is known: its session, welcome
// and presence.
func (r *Room) admit(m joinReq, you You, start time.Time) {
	defer func() { r.hub.obs.Joined(time.Since(start)) }()
	if len(r.members) >= r.hub.cfg.MaxMembers {
		m.reply <- joinResult{err: board.Refuse(board.CodeTooLarge, "This workshop is full. Ask the facilitator for help.")}
		return
	}
	s := &Session{room: r, member: m.member, you: you, presenceDelta: m.req.PresenceDelta}
	r.members[s] = struct{}{}
	m.reply <- joinResult{s: s}
	r.send(s, r.welcome(s, m.req))
	if s.presenceDelta {
		r.wantFull[s] = struct{}{} // the base its deltas apply to, with the next presence frame
	}
	if s.isWall() {
		return // a wall is no one: not in presence
	}
	r.people.online[you.ID]++
	if r.people.online[you.ID] == 1 {
		r.hereChanged = true
	}
	r.broadcastPresence()
}

// savingJoin is a newcomer whose participant is being written.
type savingJoin struct {
	m     joinReq
	you   You
	p     board.Participant
	start time.Time
	done  chan struct{} // closed once the write returned, with err
	err   error
}

// save writes a newcomer's participant without holding up the room: a
// join waits for its own write, not for the writes of the joins before it,
// nor the room for any, and the store can put the writes of a burst of
// joins in one commit. A join is answered once its write returned and
// nothing is in flight (see run), so that its welcome shows only what is
// durable.
func (r *Room) save(m joinReq, you You, p board.Participant, start time.Time) {
	j := &savingJoin{m: m, you: you, p: p, start: start, done: make(chan struct{})}
	r.saving = append(r.saving, j)
	go func() {
		ctx, cancel := r.storeCtx()
		defer cancel()
		j.err = r.hub.store.PutParticipant(ctx, r.w.ID, p)
		close(j.done)
		signal(r.wrote)
	}()
}

// saved admits the newcomers whose writes returned, in the order they came.
func (r *Room) saved() {
	waiting := r.saving[:0]
	var written []*savingJoin
	for _, j := range r.saving {
		select {
		case <-j.done:
			written = append(written, j)
		default:
			waiting = append(waiting, j)
		}
	}
	clear(r.saving[len(waiting):])
	r.saving = waiting
	for _, j := range written {
		if j.err != nil {
			r.log.Warn("save participant", "err", j.err)
			j.m.reply <- joinResult{err: unavailable()}
			r.hub.obs.Joined(time.Since(j.start))
			continue
		}
		r.people.add(j.p)
		r.admit(j.m, j.you, j.start)
	}
}

// savingNewcomers is how many of saving will take part (not facilitators).
func (r *Room) savingNewcomers() int {
	n := 0
	for _, j := range r.saving {
		if j.p.Role != board.RoleFacilitator {
			n++
		}
	}
	return n
}

// identify works out who a joiner is: a facilitator by key, a returning
// person by token, or someone new, whose participant it returns to be
// written.
func (r *Room) identify(req JoinRequest) (You, *board.Participant, *board.Error) {
	isFac := KeyMatches(req.Key, r.w.KeyHash)
	switch {
	case req.Key != "" && !isFac:
		return You{}, nil, board.Refuse(board.CodeBadJoin, "That facilitator link is not right for this workshop. Open the link you were given when you created it.")
	case req.View == ViewWall:
		if r.board.JoinsClosed && !isFac {
			return You{}, nil, joinsClosed()
		}
		return You{Role: board.RoleWall}, nil, nil
	case req.View != "":
		return You{}, nil, board.Refuse(board.CodeBadJoin, "This server does not know the view %q.", req.View)
	case !isFac && req.Role == board.RoleFacilitator:
		return You{}, nil, board.Refuse(board.CodeBadJoin, "Only the person with the facilitator link can join as facilitator.")
	}
	if req.Token != "" {
		if r.people.byTokenOf(req.Token) == nil {
			r.refreshPeople() // they may have joined on another instance
		}
		if p := r.people.byTokenOf(req.Token); p != nil && (p.Role == board.RoleFacilitator) == isFac {
			if r.board.Removed[p.ID] {
				return You{}, nil, board.Refuse(board.CodeRemoved, "You were removed from this workshop.")
			}
			return You{ID: p.ID, Name: p.Name, Role: p.Role, Token: req.Token}, nil, nil
		}
	}
	role := req.Role
	if isFac {
		role = board.RoleFacilitator
	} else if role != board.RoleStaff && role != board.RoleServiceUser {
		return You{}, nil, board.Refuse(board.CodeBadJoin, "Say whether you use the service or work here.")
	}
	name, err := board.CleanName(req.Name)
	if err != nil {
		return You{}, nil, &board.Error{Code: board.CodeBadJoin, Message: err.Message}
	}
	if !isFac {
		if err := r.admitNewcomer(); err != nil {
			return You{}, nil, err
		}
	}
	token := NewSecret()
	p := board.Participant{ID: uuid.NewString(), Name: name, Role: role, TokenHash: Hash(token), JoinedAt: time.Now().UTC()}
	return You{ID: p.ID, Name: p.Name, Role: p.Role, Token: token}, &p, nil
}

// admitNewcomer says whether someone new may join as a participant: not
// while joins are closed, nor past the workshop's capacity. Across
// instances the count is what the store held at the last look, so a
// burst of joins on several instances at once may pass it by a few. A
// full workshop refuses without reading the register again: reading it
// only adds people, so it could not make room, and a flood of joins into
// a full workshop would have read and decoded the whole register for
// each one, on the room's goroutine.
func (r *Room) admitNewcomer() *board.Error {
	if r.board.JoinsClosed {
		return joinsClosed()
	}
	if r.people.taking(r.board.Removed, r.board.Contributors())+r.savingNewcomers() >= r.hub.cfg.MaxParticipants {
		return board.Refuse(board.CodeFull, "This workshop is full: it has room for %d people. Ask the facilitator for help.", r.hub.cfg.MaxParticipants)
	}
	return nil
}

func joinsClosed() *board.Error {
	return board.Refuse(board.CodeLocked, "This workshop is not taking new people right now. Ask the facilitator to let you in.")
}

// welcome is the first frame a member gets: the ops it missed when it can
// replay them exactly, else the whole board. Only Since, SinceID and Epoch
// of req matter.
func (r *Room) welcome(s *Session, req JoinRequest) []byte {
	viewer := s.viewer()
	var you any = s.you
	if s.isWall() {
		you = wallYou{Role: board.RoleWall}
	}
	if ops, ok := r.replay(viewer, req); ok {
		return encode(struct {
			T      string         `json:"t"`
			You    any            `json:"you"`
			Epoch  string         `json:"epoch"`
			V      int64          `json:"v"`
			LastID string         `json:"lastId,omitempty"`
			Ops    []board.OpView `json:"ops"`
		}{"welcome", you, r.epoch, r.board.V, r.board.LastID, ops})
	}
	view := r.board.View(viewer, r.w, r.presenceList())
	return encode(welcomeFrame{T: "welcome", You: you, Epoch: r.epoch, V: r.board.V, LastID: r.board.LastID, Board: &view})
}

// replay returns the ops after req.Since as viewer receives them, when
// the client's history is this one (same epoch, and the op at Since is
// req.SinceID when given), the log still holds them all and none of them
// reveals anything to viewer (what it reveals depends on the board of its
// time): else the whole board is sent.
func (r *Room) replay(viewer board.Viewer, req JoinRequest) ([]board.OpView, bool) {
	since := req.Since
	if since == nil || req.Epoch != r.epoch || *since > r.board.V || *since < 0 {
		return nil, false
	}
	ops := []board.OpView{}
	check := req.SinceID != ""
	if *since == r.board.V && (!check || req.SinceID == r.board.LastID) {
		return ops, true
	}
	if check && *since == 0 {
		return nil, false // no op has version 0
	}
	from := *since
	if check {
		from-- // read the op at since too, to compare its id
	}
	ctx, cancel := r.storeCtx()
	defer cancel()
	entries, err := r.hub.store.Entries(ctx, r.w.ID, from)
	if err != nil || len(entries) == 0 || entries[0].V != from+1 {
		return nil, false
	}
	if check {
		if entries[0].ID != req.SinceID {
			return nil, false // a different history: the client missed a rewind
		}
		entries = entries[1:]
	}
	for _, e := range entries {
		if e.V > r.board.V {
			break
		}
		if e.RevealsTo(viewer) {
			return nil, false
		}
		ops = append(ops, e.View(viewer))
	}
	return ops, true
}

// leave lets a member go and tells the others if its person went offline.
func (r *Room) leave(s *Session) {
	if _, ok := r.members[s]; !ok {
		return
	}
	delete(r.members, s)
	delete(r.wantFull, s)
	if s.isWall() {
		return
	}
	r.people.online[s.you.ID]--
	if r.people.online[s.you.ID] <= 0 {
		delete(r.people.online, s.you.ID)
		r.people.left[s.you.ID] = time.Now()
		r.hereChanged = true
		r.broadcastPresence()
	}
}

// Forgetting passers-by: someone who joined and left with nothing on the
// board leaves the register after passerByGrace, a batch of at most
// forgetBatch at each heartbeat, so that a stream of tokenless joins
// cannot grow a workshop's register (and the store's) without bound.
const forgetBatch = 500

var passerByGrace = 2 * time.Minute // a variable for the tests

// forgetPassersBy takes passers-by out of the register and the store. One
// who comes back after is someone new, with nothing lost: they had nothing.
func (r *Room) forgetPassersBy() {
	gone := r.people.passersBy(r.board.Removed, r.board.Contributors(), passerByGrace, forgetBatch)
	if len(gone) == 0 {
		return
	}
	ctx, cancel := r.storeCtx()
	defer cancel()
	if err := r.hub.store.ForgetParticipants(ctx, r.w.ID, gone); err != nil {
		r.log.Warn("forget passers-by", "err", err)
		return
	}
	r.people.forget(gone)
}

// heartbeat records who is online here, so other instances see them,
// and reads who is online anywhere.
func (r *Room) heartbeat() {
	r.hereChanged = false
	ctx, cancel := r.storeCtx()
	defer cancel()
	if err := r.hub.store.SetOnline(ctx, r.w.ID, r.hub.cfg.Instance, r.people.here(), presenceTTL); err != nil {
		if !errors.Is(err, ErrNotFound) { // deleted: the room is told so and ends
			r.log.Warn("record presence", "err", err)
		}
		return
	}
	r.refreshOnline(ctx)
}

// refreshOnline reads who is online on any instance.
func (r *Room) refreshOnline(ctx context.Context) {
	online, err := r.hub.store.Online(ctx, r.w.ID)
	if err != nil {
		r.log.Warn("read presence", "err", err)
		return
	}
	for id := range online {
		if r.people.byID[id] == nil {
			r.refreshPeople() // someone who joined on another instance
			break
		}
	}
	r.people.remote = online
}

// broadcastPresence tells every member who is here, when that changed:
// at once, or, if it last did so under presenceGap ago, when that has
// passed. Each presence frame lists everyone, so when many join at once
// (a room of a thousand phones) one frame covers many joins instead of
// each join sending the whole list to everyone. A joiner learns who is
// here from its welcome.
func (r *Room) broadcastPresence() {
	if r.presenceLater != nil {
		return // already due
	}
	if wait := presenceGap - time.Since(r.presenceAt); wait > 0 {
		r.presenceLater = time.NewTimer(wait)
		return
	}
	r.sendPresence()
}

// presenceList is who presence lists now (see people.list).
func (r *Room) presenceList() []board.Person {
	return r.people.list(r.board.Removed, r.board.Contributors())
}

// sendPresence sends the presence frames now, if presence changed, having
// first recorded who is here if that changed: so a burst of joins or
// leaves (a room of phones arriving together, or losing the venue's wifi)
// costs the store one heartbeat per presence frame, not one per person.
// Each change is encoded once, as the whole list and as a delta, whatever
// the number of members; a member that asked for deltas gets the whole
// list once, as the base its deltas apply to.
func (r *Room) sendPresence() {
	if r.presenceLater != nil {
		r.presenceLater.Stop()
		r.presenceLater = nil
	}
	if r.hereChanged {
		r.heartbeat()
	}
	now := r.presenceList()
	full := presenceFrameOf(now)
	changed := !bytes.Equal(full, r.lastPresence)
	if !changed && len(r.wantFull) == 0 {
		return
	}
	var delta []byte
	if changed {
		delta = presenceDeltaOf(r.lastPeople, now)
		r.lastPresence, r.lastPeople, r.presenceAt = full, now, time.Now()
	}
	for s := range r.members {
		switch _, base := r.wantFull[s]; {
		case base:
			delete(r.wantFull, s)
			r.sendEach(s, full)
		case !changed:
		case s.presenceDelta:
			r.sendEach(s, delta)
		default:
			r.sendEach(s, full)
		}
	}
}

// refreshPeople reloads the register, for people who joined elsewhere.
func (r *Room) refreshPeople() {
	ctx, cancel := r.storeCtx()
	defer cancel()
	list, err := r.hub.store.Participants(ctx, r.w.ID)
	if err != nil {
		return
	}
	for _, p := range list {
		if r.people.byID[p.ID] == nil {
			r.people.add(p)
		}
	}
}
