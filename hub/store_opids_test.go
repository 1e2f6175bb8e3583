package hub

import (
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// lowerOpsKept makes the stores and rooms keep the op ids of n versions
// until the test ends, so that a test need not append keepOps of them.
func lowerOpsKept(t *testing.T, n int64) {
	was := opsKept
	opsKept = n
	t.Cleanup(func() { opsKept = was })
}

// storeSnapshotAt stores a snapshot at version v, once the embedded store
// has copied its log into bbolt: its op index is trimmed there.
func storeSnapshotAt(t *testing.T, s Store, id string, v int64) {
	t.Helper()
	if es, ok := s.(*EmbeddedStore); ok {
		if err := es.checkpoint(false); err != nil {
			t.Fatalf("checkpoint: %v", err)
		}
	}
	if err := s.PutSnapshot(t.Context(), id, Snapshot{V: v, Board: []byte(`{}`)}); err != nil {
		t.Fatalf("PutSnapshot(%d): %v", v, err)
	}
}

// storeOpIndexSize counts what a store keeps to know op ids by: the ids
// and their versions.
func storeOpIndexSize(t *testing.T, s Store, id string) (ids, versions int64) {
	t.Helper()
	switch s := s.(type) {
	case *RedisStore:
		keys := redisKeys(id)
		return s.rdb.HLen(t.Context(), keys[kOps]).Val(), s.rdb.ZCard(t.Context(), keys[kOpv]).Val()
	case *EmbeddedStore:
		err := s.db.View(func(tx *bolt.Tx) error {
			r, err := room(tx, id)
			if err != nil {
				return err
			}
			ids = int64(r.Bucket(bOps).Stats().KeyN)
			if b := r.Bucket(bOpsByV); b != nil {
				versions = int64(b.Stats().KeyN)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids, versions
	}
	t.Fatalf("no op index for store %T", s)
	return 0, 0
}

// TestStoreTrimsOpIDs: each snapshot forgets the op ids of the versions
// more than opsKept before it, and the index stays that size however long
// the log grows; the newer ids are still known, and a trimmed id is taken
// as a new op.
func TestStoreTrimsOpIDs(t *testing.T) {
	const keep, snaps, every = 20, 4, 50
	lowerOpsKept(t, keep)
	for name, open := range map[string]func(t *testing.T) Store{
		"embedded": func(t *testing.T) Store { return openTestEmbedded(t) },
		"redis":    func(t *testing.T) Store { return openRedisStore(t, redisURL(t)) },
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := t.Context()
			w := storeWorkshop(t, s)
			var es []string // op id by version - 1
			for i := range snaps {
				for _, e := range storeAppendMany(t, s, w.ID, int64(len(es)), every) {
					es = append(es, e.ID)
				}
				v := int64(len(es))
				storeSnapshotAt(t, s, w.ID, v)
				ids, versions := storeOpIndexSize(t, s, w.ID)
				if want := int64(keep + 1); ids != want || versions != want {
					t.Errorf("after snapshot %d at version %d: index holds %d ids and %d versions, want %d of each", i, v, ids, versions, want)
				}
			}
			top := int64(len(es))
			for v := int64(1); v <= top; v++ {
				got, err := s.OpVersion(ctx, w.ID, es[v-1])
				switch kept := v >= top-keep; {
				case kept && (err != nil || got != v):
					t.Errorf("OpVersion of the op at %d (kept) = %d, %v; want %d", v, got, err, v)
				case !kept && !errors.Is(err, ErrNotFound):
					t.Errorf("OpVersion of the op at %d (trimmed) = %d, %v; want ErrNotFound", v, got, err)
				}
			}
			// What the store can no longer tell: a re-send of a trimmed id
			// is appended again. The room asks for its base to refuse it.
			again := storeEntry(0)
			again.ID = es[0]
			if v, err := s.Append(ctx, w.ID, top, again); err != nil || v != top+1 {
				t.Errorf("Append of a trimmed id = %d, %v; want %d", v, err, top+1)
			}
			recent := storeEntry(0)
			recent.ID = es[top-1]
			if v, err := s.Append(ctx, w.ID, top+1, recent); !errors.Is(err, ErrDuplicate) || v != top {
				t.Errorf("Append of a kept id = %d, %v; want %d, ErrDuplicate", v, err, top)
			}
			if h, err := s.Head(ctx, w.ID); err != nil || h.V != top+1 {
				t.Errorf("Head = %+v, %v; want version %d", h, err, top+1)
			}
		})
	}
}

// TestRedisStoreOpIDsOfOlderRooms: a room made before op ids were trimmed
// has no versions of them; it keeps working, keeps its old ids, and
// trims those appended since.
func TestRedisStoreOpIDsOfOlderRooms(t *testing.T) {
	lowerOpsKept(t, 10)
	s := openRedisStore(t, redisURL(t))
	rdb := redisAdmin(t)
	ctx := t.Context()
	w := storeWorkshop(t, s)
	old := storeAppendN(t, s, w.ID, 0, 30)
	keys := redisKeys(w.ID)
	rdb.Del(ctx, keys[kOpv]) // as it was before opv
	newer := storeAppendN(t, s, w.ID, 30, 30)
	if ttl := rdb.PTTL(ctx, keys[kOpv]).Val(); ttl <= 0 {
		t.Errorf("opv made for an older room expires in %v, want the workshop's expiry", ttl)
	}
	storeSnapshotAt(t, s, w.ID, 60)
	if h, err := s.Head(ctx, w.ID); err != nil || h.V != 60 {
		t.Fatalf("Head = %+v, %v; want version 60", h, err)
	}
	for _, e := range old {
		if v, err := s.OpVersion(ctx, w.ID, e.ID); err != nil || v != e.V {
			t.Errorf("OpVersion of an op from before opv = %d, %v; want %d", v, err, e.V)
		}
	}
	for _, e := range newer {
		_, err := s.OpVersion(ctx, w.ID, e.ID)
		if kept := e.V >= 50; kept != (err == nil) {
			t.Errorf("OpVersion of the op at %d: %v; want it kept: %v", e.V, err, kept)
		}
	}
	if n := rdb.ZCard(ctx, keys[kOpv]).Val(); n != 11 {
		t.Errorf("opv holds %d versions, want 11", n)
	}
}

// TestRedisStoreOldMarkAfterTrim: an instance whose mark of a room names
// an op whose id has since been trimmed (it saw the room long ago, and
// others went on) finds the same history, not a rewound one.
func TestRedisStoreOldMarkAfterTrim(t *testing.T) {
	lowerOpsKept(t, 10)
	url := redisURL(t)
	a, b := openRedisStore(t, url), openRedisStore(t, url)
	ctx := t.Context()
	w := storeWorkshop(t, a)
	storeAppendN(t, b, w.ID, 0, 5) // b's mark: version 5 and its op
	before, _ := b.Head(ctx, w.ID)
	for v := int64(5); v < 105; v += 20 {
		storeAppendN(t, a, w.ID, v, 20)
		storeSnapshotAt(t, a, w.ID, v+20)
	}
	h, err := b.Head(ctx, w.ID)
	if err != nil || h.V != 105 || h.Epoch != before.Epoch {
		t.Errorf("Head from the old mark = %+v, %v; want version 105 in epoch %q", h, err, before.Epoch)
	}
	if v, err := b.Append(ctx, w.ID, 105, storeEntry(0)); err != nil || v != 106 {
		t.Errorf("Append from the old mark = %d, %v; want 106", v, err)
	}
}
