package hub

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// fullFile is a segment on a disk that fills up: it writes the first half
// of what it is given and fails with ENOSPC, or (syncFails) writes all of
// it and fails the fsync, after which what the disk holds is not known.
type fullFile struct {
	f         *os.File
	syncFails bool
}

func (f fullFile) Write(b []byte) (int, error) {
	if f.syncFails {
		return f.f.Write(b)
	}
	n, _ := f.f.Write(b[:len(b)/2])
	return n, syscall.ENOSPC
}

func (f fullFile) Sync() error {
	if f.syncFails {
		return syscall.EIO
	}
	return f.f.Sync()
}

func (f fullFile) Close() error { return f.f.Close() }

// waitPing waits until the store's Ping says ok.
func waitPing(t *testing.T, s *EmbeddedStore, ok bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); (s.Ping(t.Context()) == nil) != ok; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Ping = %v after 10s, want ok %v", s.Ping(t.Context()), ok)
		}
	}
}

// TestEmbeddedLogRecoversAfterFailedWrite fails a log write while the log's
// directory cannot be written (moved away), then gives it back: appends are
// refused meanwhile and Ping fails, then both work again without a
// restart, and a replay holds every acknowledged entry and no refused one.
func TestEmbeddedLogRecoversAfterFailedWrite(t *testing.T) {
	for _, syncFails := range []bool{false, true} {
		name := map[bool]string{false: "write fails", true: "fsync fails"}[syncFails]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := OpenEmbedded(dir)
			if err != nil {
				t.Fatal(err)
			}
			w := crashWorkshop(t, s)
			acked := storeAppendN(t, s, w.ID, 0, 3)
			f, err := os.OpenFile(lastSegment(t, dir), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			walDir := s.wal.dir
			if err := os.Rename(walDir, walDir+".away"); err != nil {
				t.Fatal(err)
			}
			s.wal.file.Close()
			s.wal.file = fullFile{f, syncFails} // no append is in flight: the writer is idle

			refused := storeEntry(100)
			if _, err := s.Append(t.Context(), w.ID, 3, refused); err == nil || errors.Is(err, ErrConflict) {
				t.Fatalf("Append on a full disk: %v, want the failure", err)
			}
			if _, err := s.Append(t.Context(), w.ID, 3, refused); err == nil || !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EIO) {
				t.Fatalf("Append again while the disk is full: %v, want the failure", err)
			}
			if err := s.Ping(t.Context()); err == nil {
				t.Error("Ping while the log cannot be written: nil, want the failure")
			}
			wantLog(t, s, w.ID, acked) // the refused entry is not readable

			if err := os.Rename(walDir+".away", walDir); err != nil {
				t.Fatal(err)
			}
			waitPing(t, s, true)
			v, err := s.Append(t.Context(), w.ID, 3, refused) // sent again, with its id
			if err != nil || v != 4 {
				t.Fatalf("refused op sent again after the disk is back = %d, %v; want 4", v, err)
			}
			refused.V = v
			acked = append(acked, refused)
			acked = append(acked, storeAppendN(t, s, w.ID, 4, 2)...)
			wantLog(t, s, w.ID, acked)
			crash(t, s)

			s = openEmbedded(t, dir) // refuses to open on damage
			wantLog(t, s, w.ID, acked)
		})
	}
}
