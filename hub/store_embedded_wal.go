package hub

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// syncEvery is the least time between the starts of two log writes while
// the log is busy (the last write carried more than one append): appends
// that arrive meanwhile share the next write and fsync. On a small virtual
// machine each fsync costs several disk requests, each a trip to the
// hypervisor: at 1,500 ops/s this cuts fsyncs from about 450 to 300 a
// second. A log that is not busy writes at once: waiting there would only
// add up to 2 ms to every op (it was most of a quiet room's latency).
const syncEvery = 2 * time.Millisecond

// After a failed write the writer tries to start writing again after
// retryFirst, then waits twice as long after each try that fails, up to
// retryMost: a full disk is freed by a person, in seconds or minutes.
const (
	retryFirst = 50 * time.Millisecond
	retryMost  = 5 * time.Second
)

// recoverRoom is the room the log's disk must show, by taking it in a file
// and giving it back, before the log writes again after a failure: a disk
// full but for the page a cut record freed would fail the next write at
// once, and refuse and accept by turns.
const recoverRoom = 1 << 20

// damagedDirName is where the log moves segments it could not read whole.
const damagedDirName = "damaged"

// errSkip, from a replay's function, leaves a record out of the store: its
// segment is then kept (moved aside) rather than removed.
var errSkip = errors.New("record left out")

// walGroup is one write and fsync of the log, shared by the appends in it.
// It is the Pending of each of them.
type walGroup struct {
	done chan struct{}
	err  error
	ok   atomic.Bool // durable; set before done is closed
	news []walNews   // its entries, for subscribers once durable
}

func (g *walGroup) Done() <-chan struct{} { return g.done }
func (g *walGroup) Err() error            { return g.err }

func newWALGroup() *walGroup { return &walGroup{done: make(chan struct{})} }

// wal is the embedded store's write-ahead log: its segment files, and the
// goroutine that writes records to them in groups, one write and one fsync
// each. The store uses it only through its methods: open, replay, start,
// append, sync, checkpoint and close.
type wal struct {
	// Set at construction.
	dir       string
	log       *slog.Logger
	onDurable func([]walNews) // called by the writer once a group is durable
	onFailed  func()          // called by the writer once a group failed, before it tries again

	mu      sync.Mutex // guards the fields below, to the writer's
	buf     []byte     // records of the group being gathered
	group   *walGroup  // the group being gathered
	placed  uint32     // records in the group being gathered
	last    *walGroup  // the group of the last append
	lsn     uint64     // the number the next record gets
	seq     uint64     // the segment being written
	err     error      // while set (the log failed, or closed), appends are refused
	failed  bool       // the log failed and is not yet writing again: its segments are kept
	segs    []segment  // segments found at open
	started bool
	closed  bool

	// Set by replay; then guarded by ckptMu.
	keep map[uint64]string // segments not read whole -> why: moved aside, never removed

	// Owned by the writer goroutine.
	file    walFile
	size    int64            // bytes of records in file, all durable
	written uint64           // the number of the next record to be written
	retry   <-chan time.Time // while failed: when to try writing again
	backoff time.Duration

	wake    chan struct{}
	rotate  chan chan struct{}
	quit    chan struct{}
	stopped chan struct{}
	ckptMu  sync.Mutex // one checkpoint at a time
	closing sync.Once
}

// walFile is the segment being written: an *os.File, or in tests one
// that fails.
type walFile interface {
	Write([]byte) (int, error)
	Sync() error
	Close() error
}

// openWAL opens the log in dir, creating it if need be. Replay it, then
// start it, before appending.
func openWAL(dir string, log *slog.Logger, onDurable func([]walNews), onFailed func()) (*wal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	segs, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	w := &wal{
		dir: dir, log: log, onDurable: onDurable, onFailed: onFailed, group: newWALGroup(), lsn: 1,
		segs: segs, keep: map[uint64]string{},
		wake: make(chan struct{}, 1), rotate: make(chan chan struct{}), quit: make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if len(segs) > 0 {
		w.seq = segs[len(segs)-1].seq
	}
	return w, nil
}

// replay calls fn with the payload of every record in the log, in order.
// A torn tail (the end of a write a crash cut short, never acknowledged)
// is logged and left out. Damage anywhere else is returned as a
// *DamageError, unless readOn: then the valid records after it are read
// too, the damage is returned in the list, and the segment is moved aside
// at the next checkpoint rather than removed.
func (w *wal) replay(readOn bool, fn func(payload []byte) error) ([]*DamageError, error) {
	var damage []*DamageError
	var prev uint64
	for i, seg := range w.segs {
		data, err := os.ReadFile(seg.path)
		if err != nil {
			return nil, fmt.Errorf("read write-ahead log: %w", err)
		}
		res, err := scanSegment(seg.path, data, prev, i == len(w.segs)-1, readOn, fn)
		if err != nil {
			return nil, err
		}
		if res.torn != "" {
			w.log.Warn("write-ahead log ends in a record a crash cut short; it was never acknowledged",
				"file", seg.path, "offset", res.tornAt, "reason", res.torn, "dropped_bytes", len(data)-res.tornAt)
		}
		damage = append(damage, res.damage...)
		switch {
		case len(res.damage) > 0:
			w.keep[seg.seq] = "damaged"
		case res.skipped:
			w.keep[seg.seq] = "records left out"
		}
		if res.last != 0 {
			prev = res.last
			w.lsn = res.last + 1
		} else if len(res.damage) > 0 {
			prev = 0 // not known: do not check the next segment against it
		}
	}
	return damage, nil
}

// start begins a new segment and the writer.
func (w *wal) start() error {
	w.mu.Lock()
	w.seq++
	seq, first := w.seq, w.lsn
	w.mu.Unlock()
	f, err := createSegment(w.dir, seq, first)
	if err != nil {
		return fmt.Errorf("start write-ahead log: %w", err)
	}
	w.file, w.written, w.started = f, first, true
	go w.writeLoop()
	return nil
}

// append adds payload to the group being gathered, with its news, and
// returns the group: the record is durable once the group is done. The
// caller gives records in the order they must be replayed.
func (w *wal) append(payload []byte, n walNews) (*walGroup, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return nil, w.err
	}
	g := w.group
	w.buf = appendRecord(w.buf, w.lsn, w.placed, payload)
	w.lsn++
	w.placed++
	g.news = append(g.news, n)
	w.last = g
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return g, nil
}

// sync waits until every record appended so far is durable, or failed.
func (w *wal) sync() error {
	w.mu.Lock()
	g := w.last
	w.mu.Unlock()
	if g == nil {
		return nil
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
	<-g.done
	return g.err
}

// refusing is the error appends get now (the log failed or closed), or
// nil.
func (w *wal) refusing() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// failure is the error that stopped the log, or nil.
func (w *wal) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed {
		return w.err
	}
	return nil
}

// writeLoop writes each gathered group to the log and fsyncs it.
func (w *wal) writeLoop() {
	defer close(w.stopped)
	var spare []byte
	var last time.Time // when the last group's write began
	busy := false      // the last group held more than one append
	for {
		select {
		case <-w.wake:
			if d := syncEvery - time.Since(last); busy && d > 0 {
				time.Sleep(d) // let more appends join this group
			}
			last = time.Now()
			var n uint32
			spare, n = w.writeGroup(spare)
			busy = n > 1
		case <-w.retry:
			w.recover()
		case done := <-w.rotate:
			if w.size > 0 && w.failure() == nil {
				w.startSegment()
			}
			close(done)
		case <-w.quit:
			w.writeGroup(spare)
			return
		}
	}
}

// writeGroup writes and fsyncs what has gathered, then lets its appends
// return. It returns a buffer to gather the next group in, and how many
// appends the group held.
func (w *wal) writeGroup(spare []byte) ([]byte, uint32) {
	w.mu.Lock()
	buf, g, end, n := w.buf, w.group, w.lsn, w.placed
	if len(buf) == 0 || w.failed {
		w.mu.Unlock()
		return spare, 0
	}
	w.buf, w.group, w.placed = spare[:0], newWALGroup(), 0
	w.mu.Unlock()

	_, err := w.file.Write(buf)
	if err == nil {
		err = w.file.Sync()
	}
	if err != nil {
		w.fail(g, err)
		return buf, n
	}
	w.size += int64(len(buf))
	w.written = end
	g.ok.Store(true)
	close(g.done)
	w.onDurable(g.news)
	if w.size >= segmentMax {
		w.startSegment()
	}
	return buf, n
}

// fail refuses the group whose write failed, the one gathered meanwhile
// (its records come after), and every append until the writer can write
// again. The failed records' numbers are given out again: they are cut
// from the log before it goes on.
func (w *wal) fail(g *walGroup, cause error) {
	w.mu.Lock()
	w.err, w.failed = fmt.Errorf("write-ahead log: %w", cause), true
	gathered := w.group
	g.err, gathered.err = w.err, w.err
	w.buf, w.group, w.placed, w.lsn = w.buf[:0], newWALGroup(), 0, w.written
	w.mu.Unlock()
	close(g.done)
	close(gathered.done)
	w.onFailed()
	w.log.Error("the write-ahead log cannot be written; changes are refused until it can, and it will try again", "file", segmentPath(w.dir, w.seq), "err", cause)
	w.backoff = retryFirst / 2
	w.recover() // at least cut off the failed records now, if it can
}

// recover tries to start writing again after a failure. What the failed
// write left in the segment is cut off, so that no later replay reads
// it, and the records go on in a new segment: after a failed fsync, what
// the old file holds in memory and on disk is not known. Only the writer
// calls it.
func (w *wal) recover() {
	w.mu.Lock()
	seq := w.seq
	w.mu.Unlock()
	err := truncateSegment(segmentPath(w.dir, seq), segmentHeaderSize+w.size)
	if err == nil {
		err = haveRoom(w.dir, recoverRoom)
	}
	var f *os.File
	if err == nil {
		f, err = createSegment(w.dir, seq+1, w.written)
	}
	if err != nil {
		w.backoff = min(2*w.backoff, retryMost)
		w.retry = time.After(w.backoff)
		w.log.Debug("the write-ahead log still cannot be written", "err", err, "next_try", w.backoff)
		return
	}
	w.file.Close()
	w.file, w.size, w.retry = f, 0, nil
	w.mu.Lock()
	w.seq, w.err, w.failed = seq+1, nil, false
	if w.closed {
		w.err = errStoreClosed
	}
	w.mu.Unlock()
	w.log.Info("the write-ahead log is written again; changes are accepted", "file", f.Name())
}

// startSegment closes the segment being written and starts the next, so
// that a checkpoint can remove the closed one. Only the writer calls it.
func (w *wal) startSegment() {
	w.mu.Lock()
	next := w.seq + 1
	w.mu.Unlock()
	f, err := createSegment(w.dir, next, w.written)
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

// checkpoint closes the segment being written, then calls copy, which
// must put every record durable by then somewhere else that is durable,
// and then removes the closed segments: all but those not read whole,
// which it moves aside into the damaged directory.
func (w *wal) checkpoint(copy func() error) error {
	w.ckptMu.Lock()
	defer w.ckptMu.Unlock()
	done := make(chan struct{})
	select {
	case w.rotate <- done:
		<-done
	case <-w.stopped:
		return errStoreClosed
	}
	w.mu.Lock()
	below := w.seq
	w.mu.Unlock()
	if err := copy(); err != nil {
		return err
	}
	return w.removeBelow(below)
}

// close stops the writer once what has gathered is written. With final,
// which must copy every durable record elsewhere as a checkpoint's copy
// does, the log is then left empty.
func (w *wal) close(final func() error) (err error) {
	err = errStoreClosed
	w.closing.Do(func() {
		w.mu.Lock()
		if w.err == nil {
			w.err = errStoreClosed
		}
		w.closed = true
		started := w.started
		w.mu.Unlock()
		if started {
			close(w.quit)
			<-w.stopped
		}
		w.ckptMu.Lock()
		defer w.ckptMu.Unlock()
		err = nil
		if final != nil {
			if err = final(); err == nil {
				w.mu.Lock()
				below := w.seq + 1 // the current segment is closed too
				w.mu.Unlock()
				err = w.removeBelow(below)
			}
		}
		if started {
			if cerr := w.file.Close(); err == nil {
				err = cerr
			}
		}
	})
	return err
}

// removeBelow removes the segments before seq, moving aside those not
// read whole. A log that failed keeps them all for the restart.
func (w *wal) removeBelow(seq uint64) error {
	if w.failure() != nil {
		return nil
	}
	segs, err := listSegments(w.dir)
	if err != nil {
		return err
	}
	for _, seg := range segs {
		if seg.seq >= seq {
			continue
		}
		if why, ok := w.keep[seg.seq]; ok {
			if err := w.moveAside(seg, why); err != nil {
				return err
			}
			continue
		}
		if err := os.Remove(seg.path); err != nil {
			return err
		}
	}
	return nil
}

// moveAside renames a segment into the damaged directory, where the log
// no longer reads it, and says so loudly.
func (w *wal) moveAside(seg segment, why string) error {
	dir := filepath.Join(w.dir, damagedDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	to := filepath.Join(dir, fmt.Sprintf("%s.%s", filepath.Base(seg.path), time.Now().UTC().Format("20060102T150405.000000000Z")))
	if err := os.Rename(seg.path, to); err != nil {
		return fmt.Errorf("move aside write-ahead log segment: %w", err)
	}
	if err := syncDir(w.dir); err != nil {
		return err
	}
	delete(w.keep, seg.seq)
	w.log.Error("moved a write-ahead log segment aside; it is kept there, not read again", "file", seg.path, "to", to, "why", why)
	return syncDir(dir)
}
