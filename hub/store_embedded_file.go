package hub

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// compactTxSize bounds how much one transaction of a compaction copies.
const compactTxSize = 16 << 20

// boltFile is the store's bbolt database, which a compaction can replace
// with a copy of what it holds: bbolt reuses freed pages but never clears
// them, so what was deleted stays readable in the file until the pages
// are written again. A copy holds only what is live.
type boltFile struct {
	mu   sync.RWMutex // write-held while the file is replaced; read-held by every transaction
	db   *bolt.DB
	path string
	opts *bolt.Options
}

func openBoltFile(path string) (*boltFile, error) {
	f := &boltFile{path: path, opts: &bolt.Options{Timeout: 5 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType}}
	db, err := bolt.Open(path, 0o600, f.opts)
	if err != nil {
		return nil, err
	}
	f.db = db
	return f, nil
}

// View runs fn in a read-only transaction, as bolt.DB's View does.
func (f *boltFile) View(fn func(*bolt.Tx) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.db.View(fn)
}

// Update runs fn in a read-write transaction, as bolt.DB's Update does.
func (f *boltFile) Update(fn func(*bolt.Tx) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.db.Update(fn)
}

// Path is the database file's path.
func (f *boltFile) Path() string { return f.path }

// Close closes the database.
func (f *boltFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.db.Close()
}

// compact copies what the database holds into a new file, fsynced, and
// puts it in the old one's place: no page of the old file, freed or not,
// is left in the data directory. Every transaction waits meanwhile.
func (f *boltFile) compact() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	tmp := f.path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, f.opts)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	err = bolt.Compact(dst, f.db, compactTxSize)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("compact: close the old file: %w", err)
	}
	err = os.Rename(tmp, f.path)
	if err == nil {
		err = syncDir(filepath.Dir(f.path))
	}
	db, oerr := bolt.Open(f.path, 0o600, f.opts)
	if oerr != nil {
		return fmt.Errorf("compact: open again: %w", oerr) // the store cannot go on: every transaction fails
	}
	f.db = db
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	return nil
}
