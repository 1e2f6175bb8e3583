package hub

import (
	"context"
	"errors"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// Head is where a room's log stands: its top version and its epoch, the
// name of this history of versions.
type Head struct {
	V     int64
	Epoch string
}

// Snapshot is a room's board encoded at version V.
type Snapshot struct {
	V     int64
	Board []byte
}

// keepLog is how many entries before the newest snapshot both stores keep
// in the log, so that a client that was away for a while can still replay.
const keepLog = 1000

// keepOps is how many versions before the newest snapshot both stores
// keep the op ids of, trimming older ones as they store a snapshot, so
// that a re-sent op is known as one while each workshop's index stays
// bounded. A re-send of an older op is taken as a new op, unless the room
// knows the version the op was made on (see Session.SubmitBase).
const keepOps = 20000

// opsKept is keepOps, as the stores and rooms read it; tests lower it.
var opsKept int64 = keepOps

// Store errors. Implementations return these (possibly wrapped); anything
// else means the store could not be reached or failed, and the op is
// refused as unavailable.
var (
	ErrNotFound  = errors.New("not found")
	ErrCodeTaken = errors.New("join code taken")
	// ErrConflict: the room's top version was not the expected one.
	ErrConflict = errors.New("version conflict")
	// ErrDuplicate: the op id was accepted before, at the version returned.
	ErrDuplicate = errors.New("duplicate op id")
	// ErrTrimmed: the log no longer holds the versions asked for.
	ErrTrimmed = errors.New("log trimmed")
)

// Store keeps workshops, their participants and each room's log, and tells
// rooms of entries appended elsewhere. The embedded store serves one process;
// the Redis store lets several instances serve the same rooms. The log is the
// record and the sequencer; Subscribe carries only news, and may drop it.
type Store interface {
	// CreateWorkshop records a new workshop; ErrCodeTaken if its code is in
	// use by a live workshop.
	CreateWorkshop(ctx context.Context, w board.Workshop) error
	// Workshop finds a workshop by id or by join code; ErrNotFound.
	Workshop(ctx context.Context, ref string) (board.Workshop, error)
	// DeleteWorkshop removes every trace of a workshop.
	DeleteWorkshop(ctx context.Context, id string) error
	// Touch makes a workshop and all its data expire ttl from now, unless
	// touched again: the retention of workshops no one uses any more.
	Touch(ctx context.Context, id string, ttl time.Duration) error
	// Expired lists the workshops whose time ran out and that the store
	// does not remove by itself; the hub deletes them.
	Expired(ctx context.Context, now time.Time) ([]string, error)

	// PutParticipant adds or replaces a participant of a workshop.
	PutParticipant(ctx context.Context, workshopID string, p board.Participant) error
	// ForgetParticipants removes participants of a workshop; ids it does
	// not hold are ignored.
	ForgetParticipants(ctx context.Context, workshopID string, ids []string) error
	// Participants lists everyone who joined a workshop, in id order.
	Participants(ctx context.Context, workshopID string) ([]board.Participant, error)

	// Append adds e at version expected+1, only if the room's top version is
	// expected, its epoch is e.Epoch (when set), and e.ID was never
	// accepted. It returns the new version; the original version with
	// ErrDuplicate; or the top version with ErrConflict.
	Append(ctx context.Context, workshopID string, expected int64, e board.Entry) (int64, error)
	// Head returns the room's top version and epoch. A store that finds a
	// room's history damaged (keys lost) starts a new epoch here.
	Head(ctx context.Context, workshopID string) (Head, error)
	// Entries returns the entries after version after, up to the top, in
	// order; ErrTrimmed when the log no longer starts early enough.
	Entries(ctx context.Context, workshopID string, after int64) ([]board.Entry, error)
	// OpVersion returns the version at which op id was accepted, or
	// ErrNotFound. The ids of versions more than keepOps before the newest
	// snapshot may be forgotten.
	OpVersion(ctx context.Context, workshopID, opID string) (int64, error)
	// Snapshot returns the newest snapshot, or a zero one at version 0.
	Snapshot(ctx context.Context, workshopID string) (Snapshot, error)
	// PutSnapshot stores a snapshot; the log and the op ids before it may
	// then be trimmed, keeping recent entries so that resuming clients can
	// replay, and the ids of keepOps versions.
	PutSnapshot(ctx context.Context, workshopID string, s Snapshot) error

	// Subscribe starts delivering entries appended to a room, by any
	// instance, to deliver. Delivery may skip entries (rooms fill gaps from
	// the log); resync is called when news may have been lost wholesale
	// (a reconnect), so the room checks its head. deliver and resync must
	// not block, and must not call the subscription's own unsubscribe. The
	// returned func ends the subscription: once it returns, neither
	// callback is called again.
	Subscribe(workshopID string, deliver func(board.Entry), resync func()) (unsubscribe func())

	// SetOnline records which participants have a connection to a room on
	// this instance, until ttl passes without a new record (so the people
	// of an instance that died go offline by themselves), and lets the
	// room's other instances know through their resync.
	SetOnline(ctx context.Context, workshopID, instance string, ids []string, ttl time.Duration) error
	// Online returns the participants online in a room on any instance.
	Online(ctx context.Context, workshopID string) (map[string]bool, error)

	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// Pipeliner is a Store that can take a room's next append before the last
// one is durable, so that a busy room need not wait out each write to disk
// before it checks the next op. AppendAsync checks and places e exactly as
// Append does and returns as soon as e has its version, with a Pending
// that reports when it is durable. Appends become durable in the order
// they were given versions, and once one fails every later one fails too.
// On ErrDuplicate the Pending, if not nil, is the original append's.
type Pipeliner interface {
	AppendAsync(ctx context.Context, workshopID string, expected int64, e board.Entry) (int64, Pending, error)
}

// Pending is an append that has its version but may not be durable yet.
type Pending interface {
	// Done is closed once the append is durable or has failed.
	Done() <-chan struct{}
	// Err is nil once Done is closed if the append is durable.
	Err() error
}

// roomStore is the store as rooms use it: every append through
// AppendAsync, whether or not the store can pipeline.
type roomStore interface {
	Store
	Pipeliner
}

// syncAppends gives a store that cannot pipeline the AppendAsync of one
// that can: each append is durable once it returns.
type syncAppends struct{ Store }

func (s syncAppends) AppendAsync(ctx context.Context, workshopID string, expected int64, e board.Entry) (int64, Pending, error) {
	v, err := s.Append(ctx, workshopID, expected, e)
	if err != nil {
		return v, nil, err
	}
	return v, durable{}, nil
}

// durable is the Pending of an append that was durable on return.
type durable struct{}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (durable) Done() <-chan struct{} { return closed }
func (durable) Err() error            { return nil }
