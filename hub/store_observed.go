package hub

import (
	"context"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// observedStore times the store calls rooms make, for the Observer, but
// for appends: rooms time those until durable.
type observedStore struct {
	roomStore
	obs Observer
}

func (s observedStore) since(name string, start time.Time, err error) {
	s.obs.StoreCall(name, time.Since(start), err)
}

func (s observedStore) Entries(ctx context.Context, id string, after int64) (_ []board.Entry, err error) {
	defer func(start time.Time) { s.since("entries", start, err) }(time.Now())
	return s.roomStore.Entries(ctx, id, after)
}

func (s observedStore) Head(ctx context.Context, id string) (_ Head, err error) {
	defer func(start time.Time) { s.since("head", start, err) }(time.Now())
	return s.roomStore.Head(ctx, id)
}

func (s observedStore) PutParticipant(ctx context.Context, id string, p board.Participant) (err error) {
	defer func(start time.Time) { s.since("putParticipant", start, err) }(time.Now())
	return s.roomStore.PutParticipant(ctx, id, p)
}

func (s observedStore) ForgetParticipants(ctx context.Context, id string, ids []string) (err error) {
	defer func(start time.Time) { s.since("forgetParticipants", start, err) }(time.Now())
	return s.roomStore.ForgetParticipants(ctx, id, ids)
}

func (s observedStore) PutSnapshot(ctx context.Context, id string, snap Snapshot) (err error) {
	defer func(start time.Time) { s.since("putSnapshot", start, err) }(time.Now())
	return s.roomStore.PutSnapshot(ctx, id, snap)
}
