package hub

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// crash stops an embedded store the way kill -9 would leave it: the log is
// not copied into bbolt and the files are simply closed.
func crash(t *testing.T, s *EmbeddedStore) {
	t.Helper()
	if err := s.closeLog(false); err != nil {
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
	torn := appendRecord(nil, 5, 0, walPayload(w.ID, []byte(`{"v":5,"id":"torn"}`)))
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

// damageLog crashes a store holding two workshops, the first with three
// entries, then damages the second of them on disk with fn. It returns the
// workshops, their entries and heads, and the damaged segment's path.
func damageLog(t *testing.T, dir string, fn func(data []byte, at int) []byte) (a, b board.Workshop, as, bs []board.Entry, heads []Head, path string) {
	t.Helper()
	s := openEmbedded(t, dir)
	a, b = crashWorkshop(t, s), crashWorkshop(t, s)
	as = storeAppendN(t, s, a.ID, 0, 3)
	bs = storeAppendN(t, s, b.ID, 0, 2)
	for _, w := range []board.Workshop{a, b} {
		h, err := s.Head(t.Context(), w.ID)
		if err != nil {
			t.Fatal(err)
		}
		heads = append(heads, h)
	}
	crash(t, s)
	path = lastSegment(t, dir)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, []byte(as[1].ID)) // in the payload of a's second entry
	if err := os.WriteFile(path, fn(data, at), 0o600); err != nil {
		t.Fatal(err)
	}
	return a, b, as, bs, heads, path
}

func flipAt(data []byte, at int) []byte { data[at] ^= 0xff; return data }

// By default a damaged record in the middle of the log stops the store
// from opening, with an error naming the file and the offset, and nothing
// on disk is changed.
func TestEmbeddedLogDamageRefused(t *testing.T) {
	dir := t.TempDir()
	_, _, _, _, _, path := damageLog(t, dir, flipAt)
	before, _ := os.ReadFile(path)
	_, err := OpenEmbedded(dir)
	var d *DamageError
	if !errors.As(err, &d) || d.File != path || d.Offset <= 0 {
		t.Fatalf("got %v, want a DamageError naming %s and an offset", err, path)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), fmt.Sprint("byte ", d.Offset)) {
		t.Errorf("got message %q, want it to name the file and the byte", err)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the damaged segment changed or went (%v): want it left as it was", err)
	}
}

// Quarantined, the store opens: it keeps every record before the damage
// and those after it that follow on, moves the damaged file aside, and
// gives every workshop a new epoch.
func TestEmbeddedLogDamageQuarantined(t *testing.T) {
	dir := t.TempDir()
	a, b, as, bs, heads, path := damageLog(t, dir, flipAt)
	damaged, _ := os.ReadFile(path)
	var logged bytes.Buffer
	s, err := OpenEmbeddedConfig(EmbeddedConfig{Dir: dir, Damaged: DamageQuarantine, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatalf("open quarantined: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	wantLog(t, s, a.ID, as[:1]) // a's third entry follows a gap: not applied
	wantLog(t, s, b.ID, bs)     // b's records follow on
	for i, w := range []board.Workshop{a, b} {
		if h, _ := s.Head(t.Context(), w.ID); h.Epoch == heads[i].Epoch || h.Epoch == "" {
			t.Errorf("workshop %d: got epoch %q after the damage, want a new one (was %q)", i, h.Epoch, heads[i].Epoch)
		}
	}
	for _, want := range []string{"level=ERROR", path, "offset=", a.ID, b.ID} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("got log %q, want it to say %q", logged.String(), want)
		}
	}
	aside, _ := filepath.Glob(filepath.Join(dir, walDirName, damagedDirName, "*"))
	if len(aside) != 1 {
		t.Fatalf("got %d files moved aside, want 1", len(aside))
	}
	if got, _ := os.ReadFile(aside[0]); !bytes.Equal(got, damaged) {
		t.Error("the file moved aside is not the damaged segment as it was")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the damaged segment is still read from the log (%v)", err)
	}

	more := storeAppendN(t, s, a.ID, 1, 2)
	h, _ := s.Head(t.Context(), a.ID)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openEmbedded(t, dir) // the damage is aside now: the default opens
	wantLog(t, s, a.ID, append(as[:1], more...))
	if again, _ := s.Head(t.Context(), a.ID); again.Epoch != h.Epoch {
		t.Errorf("got epoch %q on the next open, want the new one kept (%q)", again.Epoch, h.Epoch)
	}
}

// Zeros past the end of the log, as a preallocated or zero-filled tail
// leaves them, lose nothing and stop nothing.
func TestEmbeddedLogZeroTail(t *testing.T) {
	dir := t.TempDir()
	s := openEmbedded(t, dir)
	w := crashWorkshop(t, s)
	want := storeAppendN(t, s, w.ID, 0, 4)
	crash(t, s)
	f, err := os.OpenFile(lastSegment(t, dir), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 64<<10))
	f.Close()
	s = openEmbedded(t, dir)
	wantLog(t, s, w.ID, want)
}

// A log written before record numbers is read, copied into bbolt and
// replaced by one in the format of now.
func TestEmbeddedLogOldFormat(t *testing.T) {
	dir := t.TempDir()
	s := openEmbedded(t, dir)
	w := crashWorkshop(t, s)
	crash(t, s)
	logDir := filepath.Join(dir, walDirName)
	for _, seg := range segments(t, dir) {
		os.Remove(seg.path)
	}
	var want []board.Entry
	var data []byte
	for i := range 3 {
		e := storeEntry(i)
		e.V = int64(i + 1)
		want = append(want, e)
		p := walPayload(w.ID, e.Encode())
		data = binary.LittleEndian.AppendUint32(data, uint32(len(p)))
		data = binary.LittleEndian.AppendUint32(data, crc32.Checksum(p, walCRC))
		data = append(data, p...)
	}
	data = append(data, 0, 0, 0) // and a torn tail
	if err := os.WriteFile(segmentPath(logDir, 5), data, 0o600); err != nil {
		t.Fatal(err)
	}
	s = openEmbedded(t, dir)
	wantLog(t, s, w.ID, want)
	segs := segments(t, dir)
	if len(segs) != 1 || segs[0].seq != 6 {
		t.Fatalf("got segments %v, want only the new one, 6", segs)
	}
	if head, _ := os.ReadFile(segs[0].path); !bytes.HasPrefix(head, segmentMagic) {
		t.Errorf("the new segment starts %q, want the header of the format of now", head[:min(8, len(head))])
	}
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
	s.pause = func(int) time.Duration { return time.Hour }
	rooms := 2*checkpointRooms + 1
	logs := map[string][]board.Entry{}
	for range rooms {
		w := crashWorkshop(t, s)
		logs[w.ID] = storeAppendN(t, s, w.ID, 0, 3)
	}
	pendingRooms := func() int {
		s.logMu.Lock()
		defer s.logMu.Unlock()
		return len(s.pending)
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
