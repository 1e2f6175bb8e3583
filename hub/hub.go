package hub

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// CodeAlphabet is what join codes are made of: no 0/O, 1/I/L look-alikes.
const CodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

const (
	// codeLen is a join code's length.
	codeLen = 6
	// DefaultRetention keeps a workshop 30 days after its last activity.
	DefaultRetention = 30 * 24 * time.Hour
	// DefaultMaxParticipants is a workshop's capacity.
	DefaultMaxParticipants = 500
	// DefaultMaxLiveRooms is how many workshops one instance runs at once.
	DefaultMaxLiveRooms = 5000
)

// Config tunes a hub. Zero values take the defaults.
type Config struct {
	// IdleTimeout is how long a room stays loaded with no members.
	IdleTimeout time.Duration
	// MaxMembers caps connections to one workshop on this instance.
	MaxMembers int
	// MaxParticipants caps the people of one workshop, facilitators aside.
	MaxParticipants int
	// MaxLiveRooms caps the workshops loaded on this instance at once; past
	// it joining one that is not loaded, and creating one, are refused as
	// full (DefaultMaxLiveRooms when zero).
	MaxLiveRooms int
	// Observer is told what happens, for metrics; nil for none.
	Observer Observer
	// Instance names this server among those sharing a store; a random
	// id when empty.
	Instance string
	// Retention is how long a workshop is kept after its last activity.
	Retention time.Duration
}

func (c *Config) fill() {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Second
	}
	if c.MaxMembers <= 0 {
		c.MaxMembers = 2000
	}
	if c.MaxParticipants <= 0 {
		c.MaxParticipants = DefaultMaxParticipants
	}
	if c.MaxLiveRooms <= 0 {
		c.MaxLiveRooms = DefaultMaxLiveRooms
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.Instance == "" {
		c.Instance = uuid.NewString()
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
}

// Member is one connection in a room, as the room sees it: somewhere to
// send frames. Implementations must not block.
type Member interface {
	// Send queues a frame, or writes it at once if the connection takes
	// it without waiting; false means the queue is full and the member is
	// too slow to keep up.
	Send(frame []byte) bool
	// Close sends a last frame (if not nil) and closes the connection.
	Close(frame []byte)
}

// A Queuer is a Member that can also queue a frame without writing any of
// it on the caller's goroutine, for a writer goroutine of its own. A room
// of more than directSends members queues its broadcasts, so that its
// writes are spread over writers on every core rather than taking turns
// on the room's goroutine; a smaller one sends them.
type Queuer interface {
	Queue(frame []byte) bool
}

// A PairSender is a Member that can send two frames in one write. The
// member whose op a room sends out gets the op frame and its ack together:
// one system call, and one wake-up of the phone, rather than two.
type PairSender interface {
	SendPair(first, second []byte) bool
}

// Hub holds the live rooms of this instance and the store behind them.
type Hub struct {
	// set at construction
	store  roomStore // see New
	cfg    Config
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	obs    Observer

	stop chan struct{} // closed when shutdown starts

	mu      sync.Mutex // guards rooms, closing and poison
	rooms   map[string]*Room
	closing bool           // no new rooms start
	wg      sync.WaitGroup // room goroutines
	// poison holds the ids of ops a room panicked on, so that a client
	// sending one again is refused instead of stopping room after room.
	poison map[string]struct{}

	memory *memoryGauge // nil unless the store reports its memory
}

// maxPoison bounds the op ids remembered as having stopped a room.
const maxPoison = 1024

// poisoned says whether the op id stopped a room before.
func (h *Hub) poisoned(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.poison[id]
	return ok
}

// remember records an op id that stopped a room; past maxPoison the
// oldest entries go (a map forgets in no order, which is enough here: a
// room stopped that often is a bug to fix, not a state to keep).
func (h *Hub) remember(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.poison == nil {
		h.poison = map[string]struct{}{}
	}
	for k := range h.poison {
		if len(h.poison) < maxPoison {
			break
		}
		delete(h.poison, k)
	}
	h.poison[id] = struct{}{}
}

// New returns a hub over store. Call Shutdown to end it.
func New(store Store, cfg Config, log *slog.Logger) *Hub {
	cfg.fill()
	ctx, cancel := context.WithCancel(context.Background())
	// The store rooms use, from the inside out: the store; given an
	// AppendAsync if it has none (syncAppends: each append durable on
	// return); its calls timed for the Observer (observedStore). Rooms time
	// their appends themselves, from the call until durable, which only
	// they see.
	rs, ok := store.(roomStore)
	if !ok {
		rs = syncAppends{store}
	}
	h := &Hub{store: observedStore{roomStore: rs, obs: cfg.Observer}, cfg: cfg, log: log, ctx: ctx, cancel: cancel, obs: cfg.Observer, rooms: map[string]*Room{}, stop: make(chan struct{})}
	if mr, ok := store.(MemoryReporter); ok {
		h.memory = &memoryGauge{store: mr}
	}
	h.wg.Add(1)
	go h.janitor()
	return h
}

// touchEvery is how often a workshop in use renews its retention.
func (h *Hub) touchEvery() time.Duration { return min(h.cfg.Retention/4, time.Hour) }

// janitor deletes the workshops whose retention ran out, as a facilitator's
// delete would, until the hub shuts down.
func (h *Hub) janitor() {
	defer h.wg.Done()
	tick := time.NewTicker(max(min(h.cfg.Retention/4, 10*time.Minute), 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
		ids, err := h.store.Expired(h.ctx, time.Now())
		if err != nil {
			h.log.Warn("list expired workshops", "err", err)
			continue
		}
		for _, id := range ids {
			if err := h.DeleteWorkshop(h.ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
				h.log.Warn("delete expired workshop", "workshop", id, "err", err)
				continue
			}
			h.log.Info("expired workshop deleted", "workshop", id)
		}
	}
}

// NormalizeCode turns what a person typed into a join code: upper case,
// without dashes or spaces.
func NormalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

func newCode() string {
	b := make([]byte, codeLen)
	rand.Read(b)
	for i := range b {
		b[i] = CodeAlphabet[int(b[i])%len(CodeAlphabet)]
	}
	return string(b)
}

// CreateWorkshop makes a new workshop and returns it with its facilitator
// key, which is shown once and stored only as a hash.
func (h *Hub) CreateWorkshop(ctx context.Context, title string) (board.Workshop, string, error) {
	title, bad := board.CleanTitle(title)
	if bad != nil {
		return board.Workshop{}, "", bad
	}
	if err := h.roomForMore(ctx); err != nil {
		return board.Workshop{}, "", err
	}
	key := NewSecret()
	for range 20 {
		w := board.Workshop{ID: uuid.NewString(), Code: newCode(), Title: title, KeyHash: Hash(key), CreatedAt: time.Now().UTC()}
		err := h.store.CreateWorkshop(ctx, w)
		if errors.Is(err, ErrCodeTaken) {
			continue
		}
		if err != nil {
			return board.Workshop{}, "", fmt.Errorf("create workshop: %w", err)
		}
		if err := h.store.Touch(ctx, w.ID, h.cfg.Retention); err != nil {
			return board.Workshop{}, "", fmt.Errorf("set workshop retention: %w", err)
		}
		return w, key, nil
	}
	return board.Workshop{}, "", errors.New("create workshop: no free join code")
}

// Workshop finds a workshop by id or by join code as typed.
func (h *Hub) Workshop(ctx context.Context, ref string) (board.Workshop, error) {
	if !board.IsUUID(ref) {
		ref = NormalizeCode(ref)
	}
	return h.store.Workshop(ctx, ref)
}

// DeleteWorkshop removes a workshop from the store and closes its room
// here, telling its members it was deleted.
func (h *Hub) DeleteWorkshop(ctx context.Context, id string) error {
	if err := h.store.DeleteWorkshop(ctx, id); err != nil {
		return err
	}
	h.mu.Lock()
	r := h.rooms[id]
	h.mu.Unlock()
	if r != nil {
		r.post(deleteReq{}, nil)
	}
	return nil
}

// Join admits a connection to the workshop ref (id or code). The session it
// returns is how the connection sends ops and leaves.
func (h *Hub) Join(ctx context.Context, ref string, req JoinRequest, m Member) (*Session, *board.Error) {
	w, err := h.Workshop(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return nil, board.Refuse(board.CodeNotFound, "There is no workshop with that code. Check the code and try again.")
	}
	if err != nil {
		h.log.Warn("find workshop", "err", err)
		return nil, unavailable()
	}
	for {
		r, refused := h.room(w)
		if refused != nil {
			return nil, refused
		}
		reply := make(chan joinResult, 1)
		if !r.post(joinReq{req: req, member: m, reply: reply}, ctx.Done()) && ctx.Err() != nil {
			return nil, unavailable()
		}
		select {
		case res := <-reply:
			return res.s, res.err
		case <-r.done:
			if r.err != nil {
				return nil, r.err
			}
			// The room ended as we arrived; the next one will take us.
		}
	}
}

// room returns the live room of w, starting it if needed; an error once
// the hub is shutting down, or when starting it would pass MaxLiveRooms.
func (h *Hub) room(w board.Workshop) (*Room, *board.Error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return nil, board.Refuse(board.CodeUnavailable, "The server is shutting down. Try again in a moment.")
	}
	if r := h.rooms[w.ID]; r != nil {
		return r, nil
	}
	if len(h.rooms) >= h.cfg.MaxLiveRooms {
		return nil, serverFull()
	}
	r := newRoom(h, w)
	h.rooms[w.ID] = r
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		r.run()
	}()
	return r, nil
}

// drop forgets a room that is ending.
func (h *Hub) drop(r *Room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rooms[r.w.ID] == r {
		delete(h.rooms, r.w.ID)
	}
}

// LiveRooms is how many rooms are loaded on this instance.
func (h *Hub) LiveRooms() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rooms)
}

// Shutdown sends every member bye (so they reconnect elsewhere), ends every
// room and waits for them, or for ctx.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if !h.closing {
		close(h.stop)
	}
	h.closing = true
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		r.post(shutdownReq{}, ctx.Done())
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	defer h.cancel() // rooms still running give up their store calls
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
