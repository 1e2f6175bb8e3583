package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

type walNews struct {
	workshopID string
	e          *board.Entry
}

// replayed is the group of entries read back from the log when opening.
var replayed = func() *walGroup {
	g := &walGroup{done: closedChan()}
	g.ok.Store(true)
	return g
}()

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
	for n < len(p.entries) && p.entries[n].g.ok.Load() {
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

// replayer gathers the log's records into the store's pending entries
// when opening.
type replayer struct {
	s    *EmbeddedStore
	gone map[string]bool // deleted after their appends
	cut  map[string]bool // rooms whose versions jump: records are missing
}

func (r *replayer) record(payload []byte) error {
	id, data, err := parseWALPayload(payload)
	var e board.Entry
	if err == nil {
		e, err = board.DecodeEntry(data)
	}
	if err != nil {
		return err
	}
	if r.gone[id] {
		return nil
	}
	p, err := r.s.pendingRoom(id)
	if errors.Is(err, ErrNotFound) {
		r.gone[id] = true // deleted after the append
		return nil
	}
	if errors.Is(err, ErrDamaged) {
		return errSkip // its workshop is refused: keep the record, aside
	}
	if err != nil {
		return err
	}
	switch {
	case e.V == p.top+1:
		p.top = e.V
		p.entries = append(p.entries, pendingEntry{&e, bytes.Clone(data), replayed})
		p.ops[e.ID] = e.V
	case e.V > p.top+1:
		r.cut[id] = true // never applied past a gap
	} // older ones are in bbolt already
	return nil
}

// openLog replays the log in dir into the store's pending entries, copies
// them into bbolt, removes the old segments and starts a new one.
func (s *EmbeddedStore) openLog(dir string) error {
	w, err := openWAL(dir, s.log, s.published, s.forgetFailed)
	if err != nil {
		return err
	}
	s.wal = w
	r := &replayer{s: s, gone: map[string]bool{}, cut: map[string]bool{}}
	damage, err := w.replay(s.policy == DamageQuarantine, r.record)
	if err != nil {
		return err
	}
	if len(damage) > 0 {
		if err := s.newEpochs(damage, r.cut); err != nil {
			return err
		}
	}
	if err := w.start(); err != nil {
		return err
	}
	if err := s.checkpoint(false); err != nil {
		w.close(nil)
		return fmt.Errorf("copy write-ahead log into the store: %w", err)
	}
	s.ckptDone = make(chan struct{})
	go s.checkpointLoop()
	return nil
}

// published tells subscribers of the entries of a durable group.
func (s *EmbeddedStore) published(news []walNews) {
	for _, n := range news {
		s.publish(n.workshopID, *n.e)
	}
}

// forgetFailed forgets the pending entries whose log write failed, and
// their versions: their ops were refused, and will come again with their
// ids. Every later write failed too, so they are each room's last.
func (s *EmbeddedStore) forgetFailed() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	for id, p := range s.pending {
		n := len(p.entries)
		for n > 0 && !p.entries[n-1].g.ok.Load() {
			n--
			delete(p.ops, p.entries[n].e.ID)
			p.entries[n] = pendingEntry{}
		}
		p.top -= int64(len(p.entries) - n)
		p.entries = p.entries[:n]
		if n == 0 {
			delete(s.pending, id)
		}
	}
}

// pendingRoom returns a room's pending record, reading its head from bbolt
// when it has none. s.logMu must be held, or the store not yet shared.
func (s *EmbeddedStore) pendingRoom(id string) (*pendingRoom, error) {
	if p := s.pending[id]; p != nil {
		return p, nil
	}
	if err := s.refused(id); err != nil {
		return nil, err
	}
	p := &pendingRoom{ops: map[string]int64{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := room(tx, id)
		if err != nil {
			return err
		}
		p.top, p.epoch, err = readHead(r.Bucket(bMeta), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.pending[id] = p
	return p, nil
}

// AppendAsync implements Pipeliner: it checks e as Append does and gives
// it the next version of its room, then returns while the record waits
// for its group's write and fsync. A re-sent op id gets ErrDuplicate with
// its version and, while that is not yet durable, its Pending.
func (s *EmbeddedStore) AppendAsync(_ context.Context, workshopID string, expected int64, e board.Entry) (int64, Pending, error) {
	e.V = expected + 1
	data := e.Encode()
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if err := s.wal.refusing(); err != nil {
		return 0, nil, err
	}
	p, err := s.pendingRoom(workshopID)
	if err != nil {
		return 0, nil, err
	}
	er, erases := erasing(workshopID, &e)
	if v, ok := p.ops[e.ID]; ok {
		if erases {
			return v, s.eraseAfter(p.group(v), er), ErrDuplicate
		}
		return v, p.group(v), ErrDuplicate
	}
	if v, err := s.storedOpVersion(workshopID, e.ID); err == nil {
		if erases { // once more: a crash may have come before it was whole
			return v, s.eraseAfter(nil, er), ErrDuplicate
		}
		return v, nil, ErrDuplicate
	}
	if p.top != expected || (e.Epoch != "" && e.Epoch != p.epoch) {
		return p.top, nil, ErrConflict
	}
	ep := new(board.Entry) // only for an accepted append: &e would move e to the heap on every call
	*ep = e
	g, err := s.wal.append(walPayload(workshopID, data), walNews{workshopID, ep})
	if err != nil {
		return 0, nil, err
	}
	p.top = e.V
	p.entries = append(p.entries, pendingEntry{ep, data, g})
	p.ops[e.ID] = e.V
	if erases {
		return e.V, s.eraseAfter(g, er), nil
	}
	return e.V, g, nil
}

// checkpointLoop checkpoints every checkpointEvery, until the store
// closes. After one fails (the board file cannot be written) it tries
// again sooner, backing off as the log's writer does, and the store's
// Ping fails until one succeeds.
func (s *EmbeddedStore) checkpointLoop() {
	defer close(s.ckptDone)
	wait := checkpointEvery
	for {
		select {
		case <-s.quit:
			return
		case <-time.After(wait):
		}
		err := s.checkpoint(wait == checkpointEvery)
		if errors.Is(err, errStoreClosed) {
			return
		}
		s.mu.Lock()
		failing := s.ckptErr != nil
		s.ckptErr = err
		s.mu.Unlock()
		switch {
		case err == nil && failing:
			s.log.Info("checkpoint of the write-ahead log done again; the board file is written")
			wait = checkpointEvery
		case err == nil:
		case !failing:
			s.log.Error("checkpoint the write-ahead log; the board file cannot be written, will try again", "err", err)
			wait = retryFirst
		default:
			wait = min(2*wait, retryMost)
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

// checkpoint copies every durable pending entry into bbolt, then has the
// log remove the segments that were closed when it began: all their
// records were durable then, so all are in bbolt now. Paced, it waits
// between its transactions, until the store closes.
func (s *EmbeddedStore) checkpoint(paced bool) error {
	return s.wal.checkpoint(func() error { return s.copyPending(paced) })
}

// copyPending copies every durable pending entry into bbolt and forgets
// it.
func (s *EmbeddedStore) copyPending(paced bool) error {
	type roomEntries struct {
		id string
		es []pendingEntry
	}
	var copied []roomEntries
	s.logMu.Lock()
	for id, p := range s.pending {
		if es := p.durableEntries(); len(es) > 0 {
			copied = append(copied, roomEntries{id, es})
		}
	}
	s.logMu.Unlock()

	var pause time.Duration
	if chunks := (len(copied) + checkpointRooms - 1) / checkpointRooms; paced && chunks > 1 {
		pause = s.pause(chunks)
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
		s.logMu.Lock()
		for _, r := range chunk {
			s.forgetCopied(r.id, r.es[len(r.es)-1].e.V)
		}
		s.logMu.Unlock()
		if pause > 0 && len(copied) > 0 {
			select {
			case <-time.After(pause):
			case <-s.quit:
				pause = 0
			}
		}
	}
	return nil
}

// forgetCopied drops a room's pending entries up to version last, now
// that bbolt has them. s.logMu must be held.
func (s *EmbeddedStore) forgetCopied(id string, last int64) {
	p := s.pending[id]
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
		delete(s.pending, id)
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
	byV, err := r.CreateBucketIfNotExists(bOpsByV)
	if err != nil {
		return err
	}
	// The log's keys only grow, so its pages may be filled rather than
	// split half full: at 1,250 ops/s a checkpoint then writes about a
	// quarter fewer pages. The op index takes ids in any order, so it
	// keeps bbolt's default.
	log.FillPercent = 0.9
	byV.FillPercent = 0.9 // its keys only grow too
	top, _, err := readHead(meta, id)
	if err != nil {
		return err
	}
	first, err := getI64(meta, kFirst, id)
	if err != nil {
		return err
	}
	for _, pe := range es {
		e := pe.e
		if e.V <= top {
			continue
		}
		if e.V != top+1 {
			return fmt.Errorf("workshop %s: entry %d follows %d", id, e.V, top)
		}
		if e.V >= first { // a snapshot may already have trimmed below it
			if err := put(log, u64(e.V), pe.data); err != nil {
				return err
			}
		}
		if err := put(ops, []byte(e.ID), u64(e.V)); err != nil {
			return err
		}
		if err := put(byV, u64(e.V), []byte(e.ID)); err != nil {
			return err
		}
		top = e.V
	}
	return put(meta, kTop, u64(top))
}

// closeLog stops the log. With checkpoint, what it holds is copied into
// bbolt first and the log is left empty.
func (s *EmbeddedStore) closeLog(checkpoint bool) error {
	s.closing.Do(func() {
		close(s.quit)
		if s.ckptDone != nil {
			<-s.ckptDone
		}
	})
	var final func() error
	if checkpoint {
		final = func() error { return s.copyPending(false) }
	}
	return s.wal.close(final)
}
