package hub

import (
	"context"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// observedStore times the store calls rooms make, for the Observer.
type observedStore struct {
	Store
	obs Observer
}

func (s observedStore) since(name string, start time.Time, err error) {
	s.obs.StoreCall(name, time.Since(start), err)
}

func (s observedStore) Append(ctx context.Context, id string, expected int64, e board.Entry) (_ int64, err error) {
	defer func(start time.Time) { s.since("append", start, err) }(time.Now())
	return s.Store.Append(ctx, id, expected, e)
}

func (s observedStore) Entries(ctx context.Context, id string, after int64) (_ []board.Entry, err error) {
	defer func(start time.Time) { s.since("entries", start, err) }(time.Now())
	return s.Store.Entries(ctx, id, after)
}

func (s observedStore) Head(ctx context.Context, id string) (_ Head, err error) {
	defer func(start time.Time) { s.since("head", start, err) }(time.Now())
	return s.Store.Head(ctx, id)
}

func (s observedStore) PutParticipant(ctx context.Context, id string, p board.Participant) (err error) {
	defer func(start time.Time) { s.since("putParticipant", start, err) }(time.Now())
	return s.Store.PutParticipant(ctx, id, p)
}

func (s observedStore) PutSnapshot(ctx context.Context, id string, snap Snapshot) (err error) {
	defer func(start time.Time) { s.since("putSnapshot", start, err) }(time.Now())
	return s.Store.PutSnapshot(ctx, id, snap)
}
