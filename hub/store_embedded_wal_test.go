package hub

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// crash stops an embedded store the way kill -9 would leave it: the log is
// not copied into bbolt and the files are simply closed.
func crash(t *testing.T, s *EmbeddedStore) {
	t.Helper()
	if err := s.closeWAL(false); err != nil {
		t.Fatalf("stop the log: %v", err)
	}
	s.commits.close()
	if err := s.db.Close(); err != nil {
		t.Fatalf("close bbolt: %v", err)
	}
}

func openEmbedded(t *testing.T, dir string) *EmbeddedStore {
	t.Helper()
	s, err := OpenEmbedded(dir)
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// crashWorkshop creates a workshop in a store that the test will crash,
// so no cleanup is registered on it.
func crashWorkshop(t *testing.T, s *EmbeddedStore) board.Workshop {
	t.Helper()
	w := storeNewWorkshop()
	if err := s.CreateWorkshop(t.Context(), w); err != nil {
		t.Fatalf("CreateWorkshop: %v", err)
	}
	return w
}

// segments lists the log's segment files.
func segments(t *testing.T, dir string) []segment {
	t.Helper()
	segs, err := listSegments(filepath.Join(dir, walDirName))
	if err != nil {
		t.Fatalf("list segments: %v", err)
	}
	return segs
}

// lastSegment is the path of the segment written last.
func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	segs := segments(t, dir)
	return segs[len(segs)-1].path
}

// wantLog checks a room's head and log against the entries appended.
func wantLog(t *testing.T, s *EmbeddedStore, id string, want []board.Entry) {
	t.Helper()
	h, err := s.Head(t.Context(), id)
	if err != nil || h.V != int64(len(want)) {
		t.Fatalf("Head = %+v, %v; want version %d", h, err, len(want))
	}
	got, err := s.Entries(t.Context(), id, 0)
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	storeSameEntries(t, got, want)
	for _, e := range want {
		if v, err := s.OpVersion(t.Context(), id, e.ID); err != nil || v != e.V {
			t.Fatalf("OpVersion(%s) = %d, %v; want %d", e.ID, v, err, e.V)
		}
	}
}

func TestEmbeddedLogReplayedAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s := openEmbedded(t, dir)
	w := crashWorkshop(t, s)
	before := storeAppendN(t, s, w.ID, 0, 5)
	if err := s.checkpoint(false); err != nil { // these five reach bbolt
		t.Fatalf("checkpoint: %v", err)
	}
	after := storeAppendN(t, s, w.ID, 5, 20) // these stay in the log
	gone := crashWorkshop(t, s)
	storeAppendN(t, s, gone.ID, 0, 3)
	if err := s.DeleteWorkshop(t.Context(), gone.ID); err != nil {
		t.Fatalf("DeleteWorkshop: %v", err)
	}
	crash(t, s)

	s = openEmbedded(t, dir)
	all := append(before, after...)
	wantLog(t, s, w.ID, all)
	if _, err := s.Head(t.Context(), gone.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted workshop after replay: Head error %v, want ErrNotFound", err)
	}
	if v, err := s.Append(t.Context(), w.ID, 25, all[7]); !errors.Is(err, ErrDuplicate) || v != all[7].V {
		t.Errorf("re-sent op after replay = %d, %v; want %d, ErrDuplicate", v, err, all[7].V)
	}
	more := storeAppendN(t, s, w.ID, 25, 2)
	if segs := segments(t, dir); len(segs) != 1 {
		t.Errorf("after opening, %d segments, want 1 (the old ones are copied into bbolt)", len(segs))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openEmbedded(t, dir)
	wantLog(t, s, w.ID, append(all, more...))
}

func TestEmbeddedLogTornTail(t *testing.T) {
	dir := t.TempDir()
	s := openEmbedded(t, dir)
	w := crashWorkshop(t, s)
	want := storeAppendN(t, s, w.ID, 0, 4)
	crash(t, s)

	// A crash in the middle of a write leaves part of a record: a header
	// that promises more than follows.
	f, err := os.OpenFile(lastSegment(t, dir), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := appendRecord(nil, walPayload(w.ID, []byte(`{"v":5,"id":"torn"}`)))
	if _, err := f.Write(torn[:len(torn)-3]); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s = openEmbedded(t, dir)
	wantLog(t, s, w.ID, want)
	if _, err := s.OpVersion(t.Context(), w.ID, "torn"); !errors.Is(err, ErrNotFound) {
		t.Errorf("torn record's op: %v, want ErrNotFound", err)
	}
	storeAppendN(t, s, w.ID, 4, 1)
}

func TestEmbeddedLogDamagedRecord(t *testing.T) {
	dir := t.TempDir()
	s := openEmbedded(t, dir)
	w := crashWorkshop(t, s)
	want := storeAppendN(t, s, w.ID, 0, 3)
	crash(t, s)

	// Flip a byte in the last record: its checksum fails, and it and
	// anything after it are not replayed.
	path := lastSegment(t, dir)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-2] ^= 0xff
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s = openEmbedded(t, dir)
	wantLog(t, s, w.ID, want[:2])
}

// failingFile is a segment whose disk has gone.
type failingFile struct{}

func (failingFile) Write([]byte) (int, error) { return 0, errors.New("input/output error") }
func (failingFile) Sync() error               { return errors.New("input/output error") }
func (failingFile) Close() error              { return nil }

func TestEmbeddedLogFailureRefusesAppends(t *testing.T) {
	dir := t.TempDir()
	s := openEmbedded(t, dir)
	w := storeWorkshop(t, s)
	want := storeAppendN(t, s, w.ID, 0, 2)
	if err := s.checkpoint(false); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	s.wal.file = failingFile{} // no append is in flight: the writer is idle

	if _, err := s.Append(t.Context(), w.ID, 2, storeEntry(3)); err == nil || errors.Is(err, ErrConflict) {
		t.Fatalf("Append with a failing log: %v, want the failure", err)
	}
	if _, err := s.Append(t.Context(), w.ID, 2, storeEntry(4)); err == nil {
		t.Fatal("Append after the log failed succeeded; want every append refused")
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping after the log failed: nil, want the failure")
	}
	wantLog(t, s, w.ID, want) // the refused entry is not readable
}

// TestEmbeddedLogCheckpointWhileAppending reads logs while appends and
// checkpoints run: each read is contiguous and ends at a head no older
// than the last acknowledged version.
func TestEmbeddedLogCheckpointWhileAppending(t *testing.T) {
	s := openEmbedded(t, t.TempDir())
	rooms := []board.Workshop{storeWorkshop(t, s), storeWorkshop(t, s), storeWorkshop(t, s)}
	const n = 150
	var wg sync.WaitGroup
	acked := make([]chan int64, len(rooms))
	for i, w := range rooms {
		acked[i] = make(chan int64, n)
		wg.Go(func() {
			defer close(acked[i])
			for v := range int64(n) {
				got, err := s.Append(t.Context(), w.ID, v, storeEntry(int(v)))
				if err != nil || got != v+1 {
					t.Errorf("Append at %d = %d, %v", v, got, err)
					return
				}
				acked[i] <- got
			}
		})
	}
	stop := make(chan struct{})
	checkpoints := sync.WaitGroup{}
	checkpoints.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.checkpoint(false); err != nil {
				t.Errorf("checkpoint: %v", err)
				return
			}
		}
	})
	for i, w := range rooms {
		for v := range acked[i] {
			es, err := s.Entries(t.Context(), w.ID, 0)
			if err != nil {
				t.Fatalf("Entries: %v", err)
			}
			if int64(len(es)) < v {
				t.Fatalf("after the ack of %d, Entries has only %d", v, len(es))
			}
			for j, e := range es {
				if e.V != int64(j+1) {
					t.Fatalf("Entries not contiguous: %v", storeVersions(es))
				}
			}
		}
	}
	wg.Wait()
	close(stop)
	checkpoints.Wait()
}

// A paced checkpoint copies a few rooms per transaction and waits between
// transactions; closing the store stops the waiting, and nothing is lost.
func TestEmbeddedCheckpointPacedInTransactionsOfAFewRooms(t *testing.T) {
	dir := t.TempDir()
	s := openEmbedded(t, dir)
	s.wal.pause = func(int) time.Duration { return time.Hour }
	rooms := 2*checkpointRooms + 1
	logs := map[string][]board.Entry{}
	for range rooms {
		w := crashWorkshop(t, s)
		logs[w.ID] = storeAppendN(t, s, w.ID, 0, 3)
	}
	pendingRooms := func() int {
		s.wal.mu.Lock()
		defer s.wal.mu.Unlock()
		return len(s.wal.pending)
	}

	done := make(chan error, 1)
	go func() { done <- s.checkpoint(true) }()
	for pendingRooms() == rooms {
		select {
		case err := <-done:
			t.Fatalf("the checkpoint returned before copying a room: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	if n := pendingRooms(); n != rooms-checkpointRooms {
		t.Errorf("after the first transaction, %d rooms still wait for bbolt, want %d", n, rooms-checkpointRooms)
	}
	for id, want := range logs { // read from bbolt or from the log alike
		wantLog(t, s, id, want)
	}
	select {
	case err := <-done:
		t.Fatalf("a paced checkpoint returned without its pause: %v", err)
	default:
	}

	if err := s.Close(); err != nil { // ends the pause: the rest is copied at once
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	if n := pendingRooms(); n != 0 {
		t.Errorf("after Close, %d rooms wait for bbolt, want 0", n)
	}
	s = openEmbedded(t, dir)
	for id, want := range logs {
		wantLog(t, s, id, want)
	}
}
