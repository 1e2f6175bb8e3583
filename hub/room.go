package hub

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// Room limits and timings.
const (
	// inboxSize bounds requests waiting for a room; senders wait when full.
	inboxSize = 256
	// directSends is the most members a room may have for its broadcasts
	// to be written on its own goroutine (see Queuer): a workshop's
	// phones, facilitator and screens.
	directSends = 32
	// newsSize bounds entries from the subscription; past it the room
	// catches up from the log instead.
	newsSize = 1024
	// storeTimeout bounds each store call a room makes.
	storeTimeout = 5 * time.Second
	// appendAttempts bounds retries after version conflicts; between them
	// a room waits a random moment, up to conflictBackoff times the
	// attempts so far, so that instances stop colliding in step.
	appendAttempts  = 40
	conflictBackoff = 200 * time.Microsecond
	// snapshotEvery is how many versions pass between snapshots.
	snapshotEvery = 200
	// headCheckEvery is how often a live room compares its version with
	// the store's, in case news was lost without anyone noticing.
	headCheckEvery = 20 * time.Second
	// presenceEvery is how often a room renews its record of who is
	// online here; a record lapses after presenceTTL, so the people of an
	// instance that died go offline within that time.
	presenceEvery = 5 * time.Second
	presenceTTL   = 3 * presenceEvery
	// presenceGap is the least time between two presence frames.
	presenceGap = 250 * time.Millisecond
)

// Room is one live workshop on this instance. Its goroutine, run, owns the
// board, the members and the people; everything else talks to it through
// its inbox. It ends when it has had no members for the hub's idle time,
// when the workshop is deleted, or when the hub shuts down.
type Room struct {
	// set at construction
	hub   *Hub
	w     board.Workshop
	log   *slog.Logger
	inbox *queue[any]         // requests; senders wait while it is full
	news  *queue[board.Entry] // entries from the subscription
	stale chan struct{}       // capacity 1: the room should check the store's head
	wrote chan struct{}       // capacity 1: a newcomer's participant was written
	done  chan struct{}       // closed when run returns
	err   *board.Error        // why the room could not load; set before done closes

	// owned by run
	board   *board.Board
	epoch   string
	snapV   int64
	members map[*Session]struct{}
	people  *people
	unsub   func()
	// inflight are the ops given a version but not yet durable, in
	// version order; held is a request waiting for them.
	inflight []inflightOp
	held     any
	// saving are the newcomers whose participant is being written, in
	// the order they came; see save.
	saving []*savingJoin
	// lastPresence is the last presence frame sent, to send only changes,
	// at presenceAt; presenceLater, when set, fires when the next is due.
	lastPresence []byte
	lastPeople   []board.Person // what lastPresence lists, for deltas
	// wantFull are the members that asked for deltas and still need the
	// whole list they apply to.
	wantFull      map[*Session]struct{}
	presenceAt    time.Time
	presenceLater *time.Timer
	// hereChanged: someone came online or went offline here since the
	// last heartbeat; the next presence frame records it in the store.
	hereChanged bool
	// handling is the id of the op being submitted, to blame if it panics.
	handling string
}

// Requests a room's inbox carries.
type (
	joinReq struct {
		req    JoinRequest
		member Member
		reply  chan joinResult
	}
	joinResult struct {
		s   *Session
		err *board.Error
	}
	opReq struct {
		s  *Session
		id string
		op board.Op
		// base is the version of the board the op was made on; -1 when
		// not known (see Session.SubmitBase).
		base int64
	}
	leaveReq    struct{ s *Session }
	deleteReq   struct{}
	shutdownReq struct{}
	// inspectReq runs in the room's goroutine, to read its state safely.
	inspectReq func(r *Room)
)

func newRoom(h *Hub, w board.Workshop) *Room {
	return &Room{
		hub: h, w: w, log: h.log.With("workshop", w.ID),
		inbox: newQueue[any](inboxSize), news: newQueue[board.Entry](newsSize),
		stale: make(chan struct{}, 1), wrote: make(chan struct{}, 1), done: make(chan struct{}),
		members: map[*Session]struct{}{}, wantFull: map[*Session]struct{}{},
	}
}

// post hands a request to the room, waiting while its inbox is full; false
// when the room ended, or cancel closed, first.
func (r *Room) post(msg any, cancel <-chan struct{}) bool {
	return r.inbox.put(msg, r.done, cancel)
}

func (r *Room) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.hub.ctx, storeTimeout)
}

// run loads the room and serves its inbox until the room ends.
func (r *Room) run() {
	defer close(r.done)
	defer r.hub.drop(r)
	defer r.recoverPanic()
	r.unsub = r.hub.store.Subscribe(r.w.ID, r.onNews, r.markStale)
	defer func() { r.unsub() }()
	if err := r.load(); err != nil {
		r.log.Error("load room", "err", err)
		r.err = unavailable()
		return
	}
	idle := time.NewTimer(r.hub.cfg.IdleTimeout)
	defer idle.Stop()
	check := time.NewTimer(firstTick(headCheckEvery))
	defer check.Stop()
	beat := time.NewTimer(firstTick(presenceEvery))
	defer beat.Stop()
	touch := time.NewTicker(r.hub.touchEvery())
	defer touch.Stop()
	r.touch()
	defer r.touch()
	defer r.goOffline()
	for {
		inbox, news, stale, checkC, idleC := r.inbox.ready, r.news.ready, r.stale, check.C, idle.C
		var durable <-chan struct{}
		saved := r.wrote
		var presence <-chan time.Time
		if r.presenceLater != nil {
			presence = r.presenceLater.C
		}
		if len(r.inflight) > 0 {
			// Until the ops in flight are durable the board is ahead of
			// the store: nothing that reads the store's head may run.
			durable = r.inflight[0].wait.Done()
			news, stale, checkC, idleC, saved = nil, nil, nil, nil, nil
			if r.held != nil || len(r.inflight) >= maxInflight {
				inbox = nil
			}
		}
		select {
		case <-durable:
			if !r.settle() {
				return
			}
			if msg := r.held; msg != nil && len(r.inflight) == 0 {
				r.held = nil
				if r.handle(msg, idle) {
					return
				}
			}
		case <-saved:
			r.saved()
		case <-inbox:
			msg, ok := r.inbox.take()
			if !ok {
				continue
			}
			if r.handle(msg, idle) {
				return
			}
		case <-news:
			if e, ok := r.news.take(); ok {
				r.deliver(e)
			}
		case <-stale:
			r.catchUp()
		case <-checkC:
			check.Reset(headCheckEvery)
			r.catchUp()
		case <-presence:
			r.sendPresence()
		case <-touch.C:
			if len(r.members) > 0 {
				r.touch()
			}
		case <-beat.C:
			beat.Reset(presenceEvery)
			if len(r.members) > 0 {
				r.heartbeat()
				r.forgetPassersBy()
				r.broadcastPresence()
			}
		case <-idleC:
			if len(r.members) == 0 {
				return
			}
		}
	}
}

// recoverPanic, deferred by run, stops a room that panicked without
// ending the process: it logs the panic with its stack and sends every
// member bye, so that they join again and the next room loads the board
// afresh from the store. Nothing acknowledged is lost: an ack is sent only
// once its op is durable, and an op not yet acknowledged is sent again by
// its client under the same id. A room that panicked while loading answers
// its joiners unavailable rather than being loaded again at once.
func (r *Room) recoverPanic() {
	p := recover()
	if p == nil {
		return
	}
	r.log.Error("room stopped by a panic; it loads again from the store at the next join", "panic", p, "op", r.handling, "stack", string(debug.Stack()))
	if r.handling != "" {
		r.hub.remember(r.handling)
	}
	if r.board == nil && r.err == nil {
		r.err = unavailable()
	}
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("room panicked again while closing its members", "panic", p)
		}
	}()
	r.closeAll(ByeFrame("draining"))
}

// firstTick is when a room first does what it does every d: at a random
// moment of the first d. Rooms loaded together (every room, after a
// restart; every room of a load test) would otherwise call the store all
// at once, every d, and keep each other's members waiting.
func firstTick(d time.Duration) time.Duration { return rand.N(d) }

// handle serves a request from the inbox; true when the room must end. A
// request that must see only durable state, while ops are in flight, is
// held until they are durable.
func (r *Room) handle(msg any, idle *time.Timer) (end bool) {
	if len(r.inflight) > 0 && r.mustWait(msg) {
		r.held = msg
		return false
	}
	switch m := msg.(type) {
	case joinReq:
		r.join(m)
	case opReq:
		if r.hub.poisoned(m.id) {
			r.send(m.s, NackFrame(m.id, board.Refuse(board.CodeInvalid, "The server could not apply this change, so it was not saved. Try it another way, or tell the facilitator.")))
			return false
		}
		r.handling = m.id
		end = r.submit(m)
		r.handling = ""
		return end
	case leaveReq:
		r.leave(m.s)
		if len(r.members) == 0 {
			idle.Reset(r.hub.cfg.IdleTimeout)
		}
	case deleteReq:
		r.closeAll(ErrorFrame(&board.Error{Code: board.CodeDeleted, Message: "This workshop was deleted by its facilitator."}))
		return true
	case shutdownReq:
		r.closeAll(ByeFrame("draining"))
		return true
	case inspectReq:
		m(r)
	}
	return false
}

// onNews hands an entry from the subscription to the room without waiting.
func (r *Room) onNews(e board.Entry) {
	if !r.news.offer(e) {
		r.markStale()
	}
}

// markStale asks the room to compare its version with the store's.
func (r *Room) markStale() {
	signal(r.stale)
}

// load reads the room's people and board.
func (r *Room) load() error {
	ctx, cancel := r.storeCtx()
	defer cancel()
	head, err := r.hub.store.Head(ctx, r.w.ID)
	if err != nil {
		return err
	}
	b, err := LoadBoard(ctx, r.hub.store, r.w.ID)
	if err != nil {
		return err
	}
	list, err := r.hub.store.Participants(ctx, r.w.ID)
	if err != nil {
		return err
	}
	r.board, r.epoch, r.snapV = b, head.Epoch, b.V
	r.people = newPeople(list)
	return nil
}

// deliver applies an entry from the subscription, or catches up when it
// shows that some were missed.
func (r *Room) deliver(e board.Entry) {
	switch {
	case e.Epoch != "" && e.Epoch != r.epoch:
		r.catchUp() // another history: reload, never mix the two
	case e.V <= r.board.V:
	case e.V == r.board.V+1:
		r.apply(e)
	default:
		r.catchUp()
	}
}

// catchUp brings the board to the store's top version. When the log no
// longer covers the gap, or the store's history changed (a new epoch), the
// room reloads and sends every member the whole board again.
func (r *Room) catchUp() {
	ctx, cancel := r.storeCtx()
	defer cancel()
	head, err := r.hub.store.Head(ctx, r.w.ID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			r.closeAll(ErrorFrame(&board.Error{Code: board.CodeDeleted, Message: "This workshop was deleted by its facilitator."}))
		}
		return
	}
	r.refreshOnline(ctx)
	r.broadcastPresence()
	if head.Epoch == r.epoch && head.V == r.board.V {
		return
	}
	if head.Epoch == r.epoch && head.V > r.board.V {
		entries, err := r.hub.store.Entries(ctx, r.w.ID, r.board.V)
		if err == nil {
			r.hub.obs.GapFilled(false)
			for _, e := range entries {
				if e.V == r.board.V+1 {
					r.apply(e)
				}
			}
			return
		}
		if !errors.Is(err, ErrTrimmed) {
			return
		}
	}
	r.log.Warn("room history changed; sending everyone the whole board", "epoch", head.Epoch, "v", head.V, "had", r.board.V)
	if err := r.load(); err != nil {
		r.log.Error("reload room", "err", err)
		return
	}
	r.hub.obs.GapFilled(true)
	for s := range r.members {
		r.send(s, r.welcome(s, JoinRequest{}))
	}
}

// touch renews the workshop's retention: it is in use.
func (r *Room) touch() {
	ctx, cancel := r.storeCtx()
	defer cancel()
	if err := r.hub.store.Touch(ctx, r.w.ID, r.hub.cfg.Retention); err != nil && !errors.Is(err, ErrNotFound) {
		r.log.Warn("renew retention", "err", err)
	}
}

// goOffline withdraws this instance's record of who is online, as the
// room ends.
func (r *Room) goOffline() {
	if r.people == nil {
		return // never loaded
	}
	clear(r.people.online)
	ctx, cancel := r.storeCtx()
	defer cancel()
	r.hub.store.SetOnline(ctx, r.w.ID, r.hub.cfg.Instance, nil, presenceTTL)
}

// closeAll sends every member a last frame and lets them go.
func (r *Room) closeAll(frame []byte) {
	for s := range r.members {
		s.member.Close(frame)
		delete(r.members, s)
		delete(r.wantFull, s)
	}
}

// send sends a frame to a member (see Member.Send).
func (r *Room) send(s *Session, frame []byte) {
	r.dropIfRefused(s, s.member.Send(frame))
}

// queues says whether the room queues its broadcasts rather than sending
// them: it has more than directSends members (see Queuer).
func (r *Room) queues() bool { return len(r.members) > directSends }

// sendEach sends a broadcast's frame to s, or queues it in a room that
// queues its broadcasts.
func (r *Room) sendEach(s *Session, frame []byte) {
	if q, ok := s.member.(Queuer); ok && r.queues() {
		r.dropIfRefused(s, q.Queue(frame))
		return
	}
	r.send(s, frame)
}

// sendWithAck sends s a broadcast's frame and then the ack of s's own op,
// in one write where sendEach would send (see PairSender).
func (r *Room) sendWithAck(s *Session, frame, ack []byte) {
	if p, ok := s.member.(PairSender); ok && !r.queues() {
		r.dropIfRefused(s, p.SendPair(frame, ack))
		return
	}
	r.sendEach(s, frame)
	if _, ok := r.members[s]; ok {
		r.send(s, ack)
	}
}

// dropIfRefused drops s unless it took what it was sent: a member whose
// queue is full is too slow to keep up (it reconnects and resumes).
func (r *Room) dropIfRefused(s *Session, took bool) {
	if !took {
		r.hub.obs.SlowConsumer()
		r.dropMember(s, nil)
	}
}

func (r *Room) dropMember(s *Session, frame []byte) {
	if _, ok := r.members[s]; !ok {
		return
	}
	s.member.Close(frame)
	r.leave(s)
}
