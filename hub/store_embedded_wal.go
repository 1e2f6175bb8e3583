package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/withboard/withboard/hub/board"
)

// How the embedded store appends. An op is acknowledged once its record is
// in the write-ahead log and fsynced: one sequential write and one fsync,
// shared by every append that arrived while the previous one was being
// written. A checkpoint copies what the log holds into bbolt every
// checkpointEvery, in one transaction, and then removes the segments it has
// copied. Until then the entries wait in memory, in pending, where reads
// find them. Copying many ops of a room at once writes each of its pages
// once rather than once per op.
//
// Writing each op straight into bbolt cost two fsyncs and several
// scattered pages per room per commit; under 1,000 ops/s across 200 rooms
// that was 27 MB/s of writes and fsyncs of 50 ms and more.

// checkpointEvery is how often the log is copied into bbolt: the most a
// restart after a crash has to replay.
const checkpointEvery = 10 * time.Second

// syncEvery is the least time between the starts of two log writes. Under
// load, appends that arrive meanwhile share the next write and fsync. On a
// small virtual machine each fsync costs several disk requests, each a
// trip to the hypervisor: at 1,500 ops/s this cuts fsyncs from about 450
// to 300 a second, for at most 2 ms more latency, and none when appends
// are further apart than that.
const syncEvery = 2 * time.Millisecond

// walGroup is one write and fsync of the log, shared by the appends in it.
// It is the Pending of each of them.
type walGroup struct {
	done chan struct{}
	err  error
	ok   bool      // durable; set under wal.mu before done is closed
	news []walNews // its entries, for subscribers once durable
}

type walNews struct {
	workshopID string
	e          *board.Entry
}

func (g *walGroup) Done() <-chan struct{} { return g.done }
func (g *walGroup) Err() error            { return g.err }

func newWALGroup() *walGroup { return &walGroup{done: make(chan struct{})} }

// replayed is the group of entries read back from the log when opening.
var replayed = &walGroup{done: closedChan(), ok: true}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// pendingRoom is a room's entries that are in the log but not yet in
// bbolt, in version order, with the room's head.
type pendingRoom struct {
	top     int64 // highest version given out, durable or not
	epoch   string
	entries []pendingEntry
	ops     map[string]int64 // op id -> version, for entries
}

// pendingEntry holds its Entry (about 400 bytes) by pointer, shared with
// its group's news: copied by value into both growing slices, it was most
// of what an append allocated.
type pendingEntry struct {
	e    *board.Entry // never changed once appended
	data []byte       // e as JSON, as the log and bbolt hold it
	g    *walGroup
}

// durableEntries is the durable prefix of the entries: groups are written
// in order, so once one entry is not yet durable, none after it is.
func (p *pendingRoom) durableEntries() []pendingEntry {
	n := 0
	for n < len(p.entries) && p.entries[n].g.ok {
		n++
	}
	return p.entries[:n:n]
}

// durable returns the durable entries after version after.
func (p *pendingRoom) durable(after int64) []board.Entry {
	var out []board.Entry
	for _, pe := range p.durableEntries() {
		if pe.e.V > after {
			out = append(out, *pe.e)
		}
	}
	return out
}

// group returns the log write of the entry at version v, which p.ops
// holds.
func (p *pendingRoom) group(v int64) *walGroup {
	return p.entries[v-p.entries[0].e.V].g
}

// durableTop is the highest durable version.
func (p *pendingRoom) durableTop() int64 {
	if n := len(p.durableEntries()); n > 0 {
		return p.entries[n-1].e.V
	}
	return p.top - int64(len(p.entries))
}

// wal is the embedded store's log and what waits in memory for bbolt.
type wal struct {
	dir string
	log *slog.Logger

	mu      sync.Mutex
	pending map[string]*pendingRoom
	buf     []byte    // records of the group being gathered
	group   *walGroup // the group being gathered
	seq     uint64    // the segment being written
	err     error     // once set (the log failed, or closed), appends are refused
	failed  bool      // the log failed: its segments are kept for the restart

	// Owned by the writer goroutine.
	file walFile
	size int64

	wake     chan struct{}
	rotate   chan chan struct{}
	quit     chan struct{}
	stopped  chan struct{}
	ckptMu   sync.Mutex
	ckptDone chan struct{}
	pause    func(transactions int) time.Duration // checkpointPause, or a test's
	closing  sync.Once
}

// walFile is the segment being written: an *os.File, or in tests one
// that fails.
type walFile interface {
	Write([]byte) (int, error)
	Sync() error
	Close() error
}

// A record's payload is the workshop id, a newline and the entry as JSON.
func walPayload(workshopID string, entry []byte) []byte {
	out := make([]byte, 0, len(workshopID)+1+len(entry))
	out = append(out, workshopID...)
	out = append(out, '\n')
	return append(out, entry...)
}

func parseWALPayload(payload []byte) (string, []byte, error) {
	id, entry, ok := bytes.Cut(payload, []byte{'\n'})
	if !ok {
		return "", nil, errors.New("record without a workshop id")
	}
	return string(id), entry, nil
}

// openWAL replays the log in dir into the store's pending entries, copies
// them into bbolt, removes the old segments and starts a new one.
func (s *EmbeddedStore) openWAL(dir string) error {
	w := &wal{
		dir: dir, log: slog.Default(), pending: map[string]*pendingRoom{}, group: newWALGroup(),
		wake: make(chan struct{}, 1), rotate: make(chan chan struct{}), quit: make(chan struct{}),
		stopped: make(chan struct{}), ckptDone: make(chan struct{}), pause: checkpointPause,
	}
	s.wal = w
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	segs, err := listSegments(dir)
	if err != nil {
		return err
	}
	gone := map[string]bool{}
	for i, seg := range segs {
		err := readSegment(seg.path, func(payload []byte) error {
			id, data, err := parseWALPayload(payload)
			var e board.Entry
			if err == nil {
				e, err = board.DecodeEntry(data)
			}
			if err != nil {
				return fmt.Errorf("segment %s: %w", seg.path, err)
			}
			if gone[id] {
				return nil
			}
			p, err := s.pendingRoom(id)
			if errors.Is(err, ErrNotFound) {
				gone[id] = true // deleted after the append
				return nil
			}
			if err != nil {
				return err
			}
			if e.V == p.top+1 { // older ones are in bbolt already
				p.top = e.V
				p.entries = append(p.entries, pendingEntry{&e, bytes.Clone(data), replayed})
				p.ops[e.ID] = e.V
			}
			return nil
		})
		if errors.Is(err, errTorn) && i < len(segs)-1 {
			w.log.Warn("write-ahead log segment ends in a damaged record", "segment", seg.path)
		} else if err != nil && !errors.Is(err, errTorn) {
			return fmt.Errorf("replay write-ahead log: %w", err)
		}
		w.seq = seg.seq
	}
	w.seq++
	if w.file, err = createSegment(dir, w.seq); err != nil {
		return fmt.Errorf("start write-ahead log: %w", err)
	}
	if err := s.checkpoint(false); err != nil {
		w.file.Close()
		return fmt.Errorf("copy write-ahead log into the store: %w", err)
	}
	go s.writeLoop()
	go s.checkpointLoop()
	return nil
}

// pendingRoom returns a room's pending record, reading its head from bbolt
// when it has none. wal.mu must be held, or the store not yet shared.
func (s *EmbeddedStore) pendingRoom(id string) (*pendingRoom, error) {
	if p := s.wal.pending[id]; p != nil {
		return p, nil
	}
	p := &pendingRoom{ops: map[string]int64{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := room(tx, id)
		if err != nil {
			return err
		}
		meta := r.Bucket(bMeta)
		p.top, p.epoch = i64(meta.Get(kTop)), string(meta.Get(kEpoch))
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.wal.pending[id] = p
	return p, nil
}

// AppendAsync implements Pipeliner: it checks e as Append does and gives
// it the next version of its room, then returns while the record waits
// for its group's write and fsync. A re-sent op id gets ErrDuplicate with
// its version and, while that is not yet durable, its Pending.
func (s *EmbeddedStore) AppendAsync(_ context.Context, workshopID string, expected int64, e board.Entry) (int64, Pending, error) {
	e.V = expected + 1
	data := e.Encode()
	w := s.wal
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, nil, w.err
	}
	p, err := s.pendingRoom(workshopID)
	if err != nil {
		return 0, nil, err
	}
	if v, ok := p.ops[e.ID]; ok {
		return v, p.group(v), ErrDuplicate
	}
	if v, err := s.storedOpVersion(workshopID, e.ID); err == nil {
		return v, nil, ErrDuplicate
	}
	if p.top != expected || (e.Epoch != "" && e.Epoch != p.epoch) {
		return p.top, nil, ErrConflict
	}
	g := w.group
	p.top = e.V
	ep := new(board.Entry) // only for an accepted append: &e would move e to the heap on every call
	*ep = e
	p.entries = append(p.entries, pendingEntry{ep, data, g})
	p.ops[e.ID] = e.V
	g.news = append(g.news, walNews{workshopID, ep})
	w.buf = appendRecord(w.buf, walPayload(workshopID, data))
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return e.V, g, nil
}

// writeLoop writes each gathered group to the log and fsyncs it.
func (s *EmbeddedStore) writeLoop() {
	w := s.wal
	defer close(w.stopped)
	var spare []byte
	var last time.Time // when the last group's write began
	for {
		select {
		case <-w.wake:
			if d := syncEvery - time.Since(last); d > 0 {
				time.Sleep(d) // let more appends join this group
			}
			last = time.Now()
			spare = s.writeGroup(spare)
		case done := <-w.rotate:
			if w.size > 0 {
				s.startSegment()
			}
			close(done)
		case <-w.quit:
			s.writeGroup(spare)
			return
		}
	}
}

// writeGroup writes and fsyncs what has gathered, then lets its appends
// return. It returns a buffer to gather the next group in.
func (s *EmbeddedStore) writeGroup(spare []byte) []byte {
	w := s.wal
	w.mu.Lock()
	buf, g := w.buf, w.group
	if len(buf) == 0 {
		w.mu.Unlock()
		return spare
	}
	w.buf, w.group = spare[:0], newWALGroup()
	if w.failed {
		// Records gathered while an earlier group failed must not become
		// durable after it: its entries come before theirs.
		g.err = w.err
		w.mu.Unlock()
		close(g.done)
		return buf
	}
	w.mu.Unlock()

	_, err := w.file.Write(buf)
	if err == nil {
		err = w.file.Sync()
	}
	w.size += int64(len(buf))
	w.mu.Lock()
	if err != nil {
		// The file's state is unknown now: refuse every append from here
		// on rather than acknowledge one that might not be kept.
		w.err, w.failed = fmt.Errorf("write-ahead log: %w", err), true
		w.log.Error("the write-ahead log failed; changes are refused until a restart", "err", err)
		g.err = w.err
	} else {
		g.ok = true
	}
	w.mu.Unlock()
	close(g.done)
	if err == nil {
		for _, n := range g.news {
			s.publish(n.workshopID, *n.e)
		}
	}
	if err == nil && w.size >= segmentMax {
		s.startSegment()
	}
	return buf
}

// startSegment closes the segment being written and starts the next, so
// that the checkpoint can remove the closed one.
func (s *EmbeddedStore) startSegment() {
	w := s.wal
	w.mu.Lock()
	next := w.seq + 1
	w.mu.Unlock()
	f, err := createSegment(w.dir, next)
	if err != nil {
		w.log.Warn("start a new write-ahead log segment", "err", err)
		return // keep writing the current one
	}
	w.file.Close()
	w.file, w.size = f, 0
	w.mu.Lock()
	w.seq = next
	w.mu.Unlock()
}

// checkpointLoop closes the current segment and checkpoints, every
// checkpointEvery.
func (s *EmbeddedStore) checkpointLoop() {
	w := s.wal
	defer close(w.ckptDone)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-tick.C:
		}
		done := make(chan struct{})
		select {
		case w.rotate <- done:
			<-done
		case <-w.quit:
			return
		}
		if err := s.checkpoint(true); err != nil {
			w.log.Warn("checkpoint the write-ahead log; will try again", "err", err)
		}
	}
}

// checkpointRooms is how many rooms one of a checkpoint's transactions
// copies. A room's pages are rewritten whole, and a room's op index takes
// its ids in random order, so copying ten seconds of 1,250 ops/s across
// 200 rooms wrote 11 to 20 MB, more as the indexes grew. In one
// transaction its fsync held the disk for 160 to 400 ms, and every log
// fsync waited behind it: each checkpoint showed as a jump in delivery
// latency. In transactions of a few rooms each, paced apart, the log's
// fsyncs slip in between.
const checkpointRooms = 8

// checkpointPause is how long a checkpoint of n transactions waits between
// two of them: it spreads them over at most a quarter of checkpointEvery,
// and waits at most 100 ms.
func checkpointPause(n int) time.Duration {
	return min(checkpointEvery/4/time.Duration(n), 100*time.Millisecond)
}

// checkpoint copies every durable pending entry into bbolt, then forgets
// them and removes the segments that were closed when it began: all their
// records were durable then, so all are in bbolt now. Paced, it waits
// between its transactions, until the store closes.
func (s *EmbeddedStore) checkpoint(paced bool) error {
	w := s.wal
	w.ckptMu.Lock()
	defer w.ckptMu.Unlock()
	w.mu.Lock()
	below := w.seq
	if w.failed {
		below = 0 // keep every segment for the restart
	}
	type roomEntries struct {
		id string
		es []pendingEntry
	}
	var copied []roomEntries
	for id, p := range w.pending {
		if es := p.durableEntries(); len(es) > 0 {
			copied = append(copied, roomEntries{id, es})
		}
	}
	w.mu.Unlock()

	var pause time.Duration
	if chunks := (len(copied) + checkpointRooms - 1) / checkpointRooms; paced && chunks > 1 {
		pause = w.pause(chunks)
	}
	for len(copied) > 0 {
		chunk := copied[:min(checkpointRooms, len(copied))]
		copied = copied[len(chunk):]
		err := s.commits.do(func(tx *bolt.Tx) error {
			for _, r := range chunk {
				if err := storeEntries(tx, r.id, r.es); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		w.mu.Lock()
		for _, r := range chunk {
			w.forgetCopied(r.id, r.es[len(r.es)-1].e.V)
		}
		w.mu.Unlock()
		if pause > 0 && len(copied) > 0 {
			select {
			case <-time.After(pause):
			case <-w.quit:
				pause = 0
			}
		}
	}

	segs, err := listSegments(w.dir)
	if err != nil {
		return err
	}
	for _, seg := range segs {
		if seg.seq < below {
			if err := os.Remove(seg.path); err != nil {
				return err
			}
		}
	}
	return nil
}

// forgetCopied drops a room's pending entries up to version last, now
// that bbolt has them. w.mu must be held.
func (w *wal) forgetCopied(id string, last int64) {
	p := w.pending[id]
	if p == nil {
		return // deleted meanwhile
	}
	n := 0
	for n < len(p.entries) && p.entries[n].e.V <= last {
		delete(p.ops, p.entries[n].e.ID)
		n++
	}
	p.entries = append(p.entries[:0:0], p.entries[n:]...)
	if len(p.entries) == 0 {
		delete(w.pending, id)
	}
}

// storeEntries writes a room's entries into bbolt, skipping those it has.
// A room deleted since is skipped.
func storeEntries(tx *bolt.Tx, id string, es []pendingEntry) error {
	r, err := room(tx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	meta, log, ops := r.Bucket(bMeta), r.Bucket(bLog), r.Bucket(bOps)
	// The log's keys only grow, so its pages may be filled rather than
	// split half full: at 1,250 ops/s a checkpoint then writes about a
	// quarter fewer pages. The op index takes ids in any order, so it
	// keeps bbolt's default.
	log.FillPercent = 0.9
	top, first := i64(meta.Get(kTop)), i64(meta.Get(kFirst))
	for _, pe := range es {
		e := pe.e
		if e.V <= top {
			continue
		}
		if e.V != top+1 {
			return fmt.Errorf("workshop %s: entry %d follows %d", id, e.V, top)
		}
		if e.V >= first { // a snapshot may already have trimmed below it
			if err := log.Put(u64(e.V), pe.data); err != nil {
				return err
			}
		}
		if err := ops.Put([]byte(e.ID), u64(e.V)); err != nil {
			return err
		}
		top = e.V
	}
	return meta.Put(kTop, u64(top))
}

// closeWAL stops the log. With checkpoint, what it holds is copied into
// bbolt first and the log is left empty.
func (s *EmbeddedStore) closeWAL(checkpoint bool) (err error) {
	err = errStoreClosed
	s.wal.closing.Do(func() { err = s.stopWAL(checkpoint) })
	return err
}

func (s *EmbeddedStore) stopWAL(checkpoint bool) error {
	w := s.wal
	w.mu.Lock()
	if w.err == nil {
		w.err = errStoreClosed
	}
	w.mu.Unlock()
	close(w.quit)
	<-w.ckptDone
	<-w.stopped
	var err error
	if checkpoint {
		w.mu.Lock()
		w.seq++ // the current segment is closed too
		w.mu.Unlock()
		err = s.checkpoint(false)
	}
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	return err
}
