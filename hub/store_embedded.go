package hub

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/withboard/withboard/hub/board"
)

// Bucket and key names of the embedded store. Each room has a bucket of its
// own under rooms, holding its meta, log, op ids and people.
var (
	bWorkshops = []byte("workshops") // id -> Workshop JSON
	bCodes     = []byte("codes")     // code -> id
	bExpiry    = []byte("expiry")    // id -> when it expires (Unix ns, 8 bytes)
	bRooms     = []byte("rooms")     // id -> room bucket
	bMeta      = []byte("meta")
	bLog       = []byte("log")    // version (8 bytes, big endian) -> Entry JSON
	bOps       = []byte("ops")    // op id -> version
	bOpsByV    = []byte("opsByV") // version -> op id: which to trim (rooms made before it have none)
	bPeople    = []byte("people") // participant id -> Participant JSON
	kTop       = []byte("top")
	kFirst     = []byte("first") // first version still in the log
	kEpoch     = []byte("epoch")
	kSnapshot  = []byte("snapshot")
	kSnapV     = []byte("snapshotV")
)

// EmbeddedStore keeps everything in one bbolt file on local disk. Every
// write is fsynced before it returns, and concurrent writes share one
// fsync (see committer), so an acknowledged op survives kill -9. It serves
// one process.
type EmbeddedStore struct {
	// Set at construction.
	db      *boltFile
	commits *committer
	wal     *wal
	log     *slog.Logger
	policy  DamagePolicy
	pause   func(transactions int) time.Duration // checkpointPause, or a test's
	// damagedRooms are refused: damage found in them at open, quarantined.
	damagedRooms map[string]*DamageError

	logMu   sync.Mutex // guards pending; held across wal.append, so records go in version order
	pending map[string]*pendingRoom

	quit     chan struct{} // closed when the store closes
	ckptDone chan struct{} // closed when the checkpoint loop ends
	closing  sync.Once

	mu      sync.Mutex // guards subs, next, online and ckptErr
	ckptErr error      // why the last checkpoint failed, nil once one succeeds
	subs    map[string]map[int]subscriber
	next    int
	online  map[string]map[string]onlineRecord // workshop -> instance -> record
}

// onlineRecord is one instance's list of who is online in a room.
type onlineRecord struct {
	ids     []string
	expires time.Time
}

type subscriber struct {
	deliver func(board.Entry)
}

var _ roomStore = (*EmbeddedStore)(nil) // it pipelines appends itself

// OpenEmbedded opens (or creates) the store in dir, refusing to open
// when it finds damage.
func OpenEmbedded(dir string) (*EmbeddedStore, error) {
	return OpenEmbeddedConfig(EmbeddedConfig{Dir: dir})
}

// OpenEmbeddedConfig opens (or creates) the store in cfg.Dir. Damage it
// finds is a *DamageError, or with DamageQuarantine is logged and put
// aside.
func OpenEmbeddedConfig(cfg EmbeddedConfig) (*EmbeddedStore, error) {
	dir := cfg.Dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := openBoltFile(filepath.Join(dir, "withboard.db"))
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	var migrated bool
	err = db.Update(func(tx *bolt.Tx) (err error) {
		if migrated, err = prepareValues(tx); err != nil {
			return err
		}
		for _, name := range [][]byte{bWorkshops, bCodes, bRooms, bExpiry} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare store: %w", err)
	}
	log := cmp.Or(cfg.Log, slog.Default())
	if migrated {
		log.Info("the store's values now carry checksums", "file", db.Path())
	}
	rooms, err := checkDatabase(db.db, cfg.Damaged, log)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	s := &EmbeddedStore{
		db: db, commits: newCommitter(db), log: log, policy: cfg.Damaged, pause: checkpointPause,
		damagedRooms: rooms, pending: map[string]*pendingRoom{}, quit: make(chan struct{}),
		subs: map[string]map[int]subscriber{}, online: map[string]map[string]onlineRecord{},
	}
	if err := s.openLog(filepath.Join(dir, walDirName)); err != nil {
		if s.wal != nil {
			s.wal.close(nil)
		}
		s.commits.close()
		db.Close()
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	// An erasure a crash cut short may have left deleted text in freed
	// pages.
	if db.db.Stats().FreePageN > 0 {
		if err := db.compact(); err != nil {
			s.Close()
			return nil, fmt.Errorf("open store in %s: %w", dir, err)
		}
	}
	return s, nil
}

func u64(v int64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(v))
	return b
}

func i64(b []byte) int64 {
	if len(b) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// room returns a room's bucket, or ErrNotFound.
func room(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	b := tx.Bucket(bRooms).Bucket([]byte(id))
	if b == nil {
		return nil, ErrNotFound
	}
	return b, nil
}

// CreateWorkshop implements Store.
func (s *EmbeddedStore) CreateWorkshop(_ context.Context, w board.Workshop) error {
	data, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		codes := tx.Bucket(bCodes)
		if codes.Get([]byte(w.Code)) != nil {
			return ErrCodeTaken
		}
		if err := put(codes, []byte(w.Code), []byte(w.ID)); err != nil {
			return err
		}
		if err := put(tx.Bucket(bWorkshops), []byte(w.ID), data); err != nil {
			return err
		}
		r, err := tx.Bucket(bRooms).CreateBucket([]byte(w.ID))
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bMeta, bLog, bOps, bPeople} {
			if _, err := r.CreateBucket(name); err != nil {
				return err
			}
		}
		meta := r.Bucket(bMeta)
		if err := put(meta, kEpoch, []byte(uuid.NewString())); err != nil {
			return err
		}
		return put(meta, kFirst, u64(1))
	})
}

// Workshop implements Store.
func (s *EmbeddedStore) Workshop(_ context.Context, ref string) (board.Workshop, error) {
	var w board.Workshop
	err := s.db.View(func(tx *bolt.Tx) error {
		id := []byte(ref)
		if tx.Bucket(bWorkshops).Get(id) == nil {
			var err error
			if id, err = get(tx.Bucket(bCodes), id, ""); err != nil || id == nil {
				return cmp.Or(err, ErrNotFound)
			}
		}
		if err := s.refused(string(id)); err != nil {
			return err
		}
		data, err := get(tx.Bucket(bWorkshops), id, string(id))
		if err != nil || data == nil {
			return cmp.Or(err, ErrNotFound)
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return damaged(tx, string(id), fmt.Sprintf("workshop record does not decode: %v", err))
		}
		return nil
	})
	return w, err
}

// DeleteWorkshop implements Store. When it returns, no file holds the
// workshop's text (see erase).
func (s *EmbeddedStore) DeleteWorkshop(ctx context.Context, id string) error {
	w, err := s.Workshop(ctx, id)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bCodes).Delete([]byte(w.Code)); err != nil {
			return err
		}
		if err := tx.Bucket(bWorkshops).Delete([]byte(w.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bExpiry).Delete([]byte(w.ID)); err != nil {
			return err
		}
		return tx.Bucket(bRooms).DeleteBucket([]byte(w.ID))
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.online, w.ID)
	s.mu.Unlock()
	s.logMu.Lock()
	delete(s.pending, w.ID)
	s.logMu.Unlock()
	// Appends gathered before the delete are written first, so that the
	// checkpoint's rotation closes the segment they are in.
	s.wal.sync()
	if err := s.checkpoint(false); err != nil {
		return fmt.Errorf("erase deleted workshop: %w", err)
	}
	if err := s.db.compact(); err != nil {
		return fmt.Errorf("erase deleted workshop: %w", err)
	}
	return nil
}

// Touch implements Store.
func (s *EmbeddedStore) Touch(_ context.Context, id string, ttl time.Duration) error {
	return s.commits.do(func(tx *bolt.Tx) error {
		if tx.Bucket(bWorkshops).Get([]byte(id)) == nil {
			return ErrNotFound
		}
		return put(tx.Bucket(bExpiry), []byte(id), u64(time.Now().Add(ttl).UnixNano()))
	})
}

// Expired implements Store.
func (s *EmbeddedStore) Expired(_ context.Context, now time.Time) ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bExpiry).ForEach(func(id, at []byte) error {
			at, err := unseal(tx, id, at, string(id))
			if err != nil {
				s.log.Error("a workshop's expiry is damaged; it is kept", "err", err)
				return nil
			}
			if i64(at) < now.UnixNano() {
				ids = append(ids, string(id))
			}
			return nil
		})
	})
	return ids, err
}

// PutParticipant implements Store.
func (s *EmbeddedStore) PutParticipant(_ context.Context, workshopID string, p board.Participant) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := s.refused(workshopID); err != nil {
		return err
	}
	return s.commits.do(func(tx *bolt.Tx) error {
		r, err := room(tx, workshopID)
		if err != nil {
			return err
		}
		return put(r.Bucket(bPeople), []byte(p.ID), data)
	})
}

// ForgetParticipants implements Store.
func (s *EmbeddedStore) ForgetParticipants(_ context.Context, workshopID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.refused(workshopID); err != nil {
		return err
	}
	return s.commits.do(func(tx *bolt.Tx) error {
		r, err := room(tx, workshopID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := r.Bucket(bPeople).Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Participants implements Store.
func (s *EmbeddedStore) Participants(_ context.Context, workshopID string) ([]board.Participant, error) {
	if err := s.refused(workshopID); err != nil {
		return nil, err
	}
	var out []board.Participant
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := room(tx, workshopID)
		if err != nil {
			return err
		}
		return r.Bucket(bPeople).ForEach(func(id, data []byte) error {
			data, err := unseal(tx, id, data, workshopID)
			if err != nil {
				return err
			}
			var p board.Participant
			if err := json.Unmarshal(data, &p); err != nil {
				return damaged(tx, workshopID, fmt.Sprintf("participant %s does not decode: %v", id, err))
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// Append implements Store. The entry is durable in the write-ahead log
// when it returns; concurrent appends (to any rooms) share one fsync.
func (s *EmbeddedStore) Append(ctx context.Context, workshopID string, expected int64, e board.Entry) (int64, error) {
	v, p, err := s.AppendAsync(ctx, workshopID, expected, e)
	if p != nil {
		<-p.Done()
		if perr := p.Err(); perr != nil {
			return 0, perr
		}
	}
	return v, err
}

// Head implements Store.
func (s *EmbeddedStore) Head(_ context.Context, workshopID string) (Head, error) {
	s.logMu.Lock()
	if p := s.pending[workshopID]; p != nil {
		h := Head{V: p.durableTop(), Epoch: p.epoch}
		s.logMu.Unlock()
		return h, nil
	}
	s.logMu.Unlock()
	if err := s.refused(workshopID); err != nil {
		return Head{}, err
	}
	var h Head
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := room(tx, workshopID)
		if err != nil {
			return err
		}
		h.V, h.Epoch, err = readHead(r.Bucket(bMeta), workshopID)
		return err
	})
	return h, err
}

// Entries implements Store. It reads the pending entries before bbolt: a
// checkpoint only moves entries from the one to the other, so none can be
// missed.
func (s *EmbeddedStore) Entries(_ context.Context, workshopID string, after int64) ([]board.Entry, error) {
	if err := s.refused(workshopID); err != nil {
		return nil, err
	}
	var pending []board.Entry
	s.logMu.Lock()
	if p := s.pending[workshopID]; p != nil {
		pending = p.durable(after)
	}
	s.logMu.Unlock()
	var out []board.Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := room(tx, workshopID)
		if err != nil {
			return err
		}
		first, err := getI64(r.Bucket(bMeta), kFirst, workshopID)
		if err != nil {
			return err
		}
		if after+1 < first {
			return ErrTrimmed
		}
		c := r.Bucket(bLog).Cursor()
		for k, data := c.Seek(u64(after + 1)); k != nil; k, data = c.Next() {
			data, err := unseal(tx, k, data, workshopID)
			if err != nil {
				return err
			}
			e, err := board.DecodeEntry(data)
			if err != nil {
				return damaged(tx, workshopID, fmt.Sprintf("entry %d does not decode: %v", i64(k), err))
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	last := after
	if len(out) > 0 {
		last = out[len(out)-1].V
	}
	for _, e := range pending {
		if e.V > last {
			out = append(out, e)
		}
	}
	return out, nil
}

// OpVersion implements Store.
func (s *EmbeddedStore) OpVersion(_ context.Context, workshopID, opID string) (int64, error) {
	if err := s.refused(workshopID); err != nil {
		return 0, err
	}
	s.logMu.Lock()
	if p := s.pending[workshopID]; p != nil {
		if v, ok := p.ops[opID]; ok && p.group(v).ok.Load() {
			s.logMu.Unlock()
			return v, nil
		}
	}
	s.logMu.Unlock()
	return s.storedOpVersion(workshopID, opID)
}

// storedOpVersion looks an op id up in bbolt.
func (s *EmbeddedStore) storedOpVersion(workshopID, opID string) (int64, error) {
	var v int64
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := room(tx, workshopID)
		if err != nil {
			return err
		}
		data, err := get(r.Bucket(bOps), []byte(opID), workshopID)
		if err != nil || data == nil {
			return cmp.Or(err, ErrNotFound)
		}
		v = i64(data)
		return nil
	})
	return v, err
}

// Snapshot implements Store.
func (s *EmbeddedStore) Snapshot(_ context.Context, workshopID string) (Snapshot, error) {
	if err := s.refused(workshopID); err != nil {
		return Snapshot{}, err
	}
	var snap Snapshot
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := room(tx, workshopID)
		if err != nil {
			return err
		}
		meta := r.Bucket(bMeta)
		if snap.V, err = getI64(meta, kSnapV, workshopID); err != nil {
			return err
		}
		board, err := get(meta, kSnapshot, workshopID)
		snap.Board = append([]byte(nil), board...)
		return err
	})
	return snap, err
}

// PutSnapshot implements Store; it trims the log to keepLog entries before
// the snapshot.
func (s *EmbeddedStore) PutSnapshot(_ context.Context, workshopID string, snap Snapshot) error {
	if err := s.refused(workshopID); err != nil {
		return err
	}
	return s.commits.do(func(tx *bolt.Tx) error {
		r, err := room(tx, workshopID)
		if err != nil {
			return err
		}
		meta := r.Bucket(bMeta)
		had, err := getI64(meta, kSnapV, workshopID)
		if err != nil || had >= snap.V {
			return err
		}
		if err := put(meta, kSnapshot, snap.Board); err != nil {
			return err
		}
		if err := put(meta, kSnapV, u64(snap.V)); err != nil {
			return err
		}
		first, err := getI64(meta, kFirst, workshopID)
		if err != nil {
			return err
		}
		if err := trimOps(r, snap.V-opsKept, workshopID); err != nil {
			return err
		}
		keepFrom := snap.V - keepLog + 1
		if keepFrom <= first {
			return nil
		}
		log := r.Bucket(bLog)
		for v := first; v < keepFrom; v++ {
			if err := log.Delete(u64(v)); err != nil {
				return err
			}
		}
		return put(meta, kFirst, u64(keepFrom))
	})
}

// trimOps forgets the op ids of the versions below from.
func trimOps(r *bolt.Bucket, from int64, workshopID string) error {
	byV := r.Bucket(bOpsByV)
	if byV == nil {
		return nil
	}
	var vs, ids [][]byte
	c := byV.Cursor()
	for k, _ := c.First(); k != nil && i64(k) < from; k, _ = c.Next() {
		id, err := get(byV, k, workshopID)
		if err != nil {
			return err
		}
		vs, ids = append(vs, bytes.Clone(k)), append(ids, bytes.Clone(id))
	}
	ops := r.Bucket(bOps)
	for i := range vs {
		if err := ops.Delete(ids[i]); err != nil {
			return err
		}
		if err := byV.Delete(vs[i]); err != nil {
			return err
		}
	}
	return nil
}

// Subscribe implements Store. In one process the news is the append itself,
// so resync is never needed.
func (s *EmbeddedStore) Subscribe(workshopID string, deliver func(board.Entry), _ func()) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	n := s.next
	if s.subs[workshopID] == nil {
		s.subs[workshopID] = map[int]subscriber{}
	}
	s.subs[workshopID][n] = subscriber{deliver: deliver}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs[workshopID], n)
		if len(s.subs[workshopID]) == 0 {
			delete(s.subs, workshopID)
		}
	}
}

func (s *EmbeddedStore) publish(workshopID string, e board.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs[workshopID] {
		sub.deliver(e)
	}
}

// SetOnline implements Store; in one process no one else needs telling.
func (s *EmbeddedStore) SetOnline(ctx context.Context, workshopID, instance string, ids []string, ttl time.Duration) error {
	if _, err := s.Workshop(ctx, workshopID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.online[workshopID] == nil {
		s.online[workshopID] = map[string]onlineRecord{}
	}
	if len(ids) == 0 {
		delete(s.online[workshopID], instance)
	} else {
		s.online[workshopID][instance] = onlineRecord{ids: ids, expires: time.Now().Add(ttl)}
	}
	if len(s.online[workshopID]) == 0 {
		delete(s.online, workshopID)
	}
	return nil
}

// Online implements Store.
func (s *EmbeddedStore) Online(_ context.Context, workshopID string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	now := time.Now()
	for _, rec := range s.online[workshopID] {
		if rec.expires.After(now) {
			for _, id := range rec.ids {
				out[id] = true
			}
		}
	}
	return out, nil
}

// Ping implements Store. It fails while the store cannot write its
// files: appends, or the checkpoints that copy them into bbolt.
func (s *EmbeddedStore) Ping(context.Context) error {
	if err := s.wal.failure(); err != nil {
		return err
	}
	s.mu.Lock()
	err := s.ckptErr
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return s.db.View(func(*bolt.Tx) error { return nil })
}

// Close implements Store.
func (s *EmbeddedStore) Close() error {
	err := s.closeLog(true)
	s.commits.close()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}
