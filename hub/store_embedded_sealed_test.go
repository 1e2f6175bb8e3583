package hub

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/withboard/withboard/hub/board"
)

// closedWithEntries leaves a data directory with two workshops whose
// entries are all in bbolt, the log empty.
func closedWithEntries(t *testing.T, dir string) (a, b board.Workshop, as, bs []board.Entry) {
	t.Helper()
	s, err := OpenEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b = crashWorkshop(t, s), crashWorkshop(t, s)
	as, bs = storeAppendN(t, s, a.ID, 0, 3), storeAppendN(t, s, b.ID, 0, 3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return a, b, as, bs
}

// flipEvery flips a byte of every copy of what in the file (bbolt keeps
// old copies in free pages too).
func flipEvery(t *testing.T, path string, what []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; ; n++ {
		j := bytes.Index(data[i:], what)
		if j < 0 {
			break
		}
		data[i+j+len(what)/2] ^= 0x01
		i += j + len(what)
	}
	if n == 0 {
		t.Fatalf("%q is not in %s", what, path)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A damaged value in the database stops the store from opening, naming
// the workshop; quarantined, that workshop alone is refused.
func TestEmbeddedDatabaseDamage(t *testing.T) {
	dir := t.TempDir()
	a, b, _, bs := closedWithEntries(t, dir)
	db := filepath.Join(dir, "withboard.db")
	flipEvery(t, db, []byte(a.Code)) // inside a's workshop record

	_, err := OpenEmbedded(dir)
	var d *DamageError
	if !errors.As(err, &d) || d.Workshop != a.ID || d.File != db {
		t.Fatalf("got %v, want damage in workshop %s of %s", err, a.ID, db)
	}

	s, err := OpenEmbeddedConfig(EmbeddedConfig{Dir: dir, Damaged: DamageQuarantine})
	if err != nil {
		t.Fatalf("open quarantined: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	for name, err := range map[string]error{
		"Workshop": second(s.Workshop(t.Context(), a.ID)),
		"Head":     second(s.Head(t.Context(), a.ID)),
		"Entries":  second(s.Entries(t.Context(), a.ID, 0)),
		"Append":   second(s.Append(t.Context(), a.ID, 3, storeEntry(9))),
	} {
		if !errors.As(err, &d) || d.Workshop != a.ID {
			t.Errorf("%s of the damaged workshop: got %v, want its damage", name, err)
		}
	}
	wantLog(t, s, b.ID, bs)
	storeAppendN(t, s, b.ID, 3, 1)
}

func second[T any](_ T, err error) error { return err }

// A value that fails its checksum while the store runs is an error that
// names its workshop, not a wrong board.
func TestEmbeddedValueCheckedOnRead(t *testing.T) {
	s := openEmbedded(t, t.TempDir())
	w := storeWorkshop(t, s)
	storeAppendN(t, s, w.ID, 0, 2)
	if err := s.checkpoint(false); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		log := tx.Bucket(bRooms).Bucket([]byte(w.ID)).Bucket(bLog)
		v := bytes.Clone(log.Get(u64(2)))
		v[5] ^= 0x20
		return log.Put(u64(2), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Entries(t.Context(), w.ID, 0)
	var d *DamageError
	if !errors.As(err, &d) || d.Workshop != w.ID || !errors.Is(err, ErrDamaged) {
		t.Fatalf("Entries over a damaged value: got %v, want damage in workshop %s", err, w.ID)
	}
}

// A database written before values were sealed is sealed once when
// opened, and reads as before.
func TestEmbeddedDatabaseOfBefore(t *testing.T) {
	dir := t.TempDir()
	a, _, as, _ := closedWithEntries(t, dir)
	db, err := bolt.Open(filepath.Join(dir, "withboard.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { // take the seals off
		if err := tx.DeleteBucket(bFormat); err != nil {
			return err
		}
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return unsealBucket(tx, b) })
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := openEmbedded(t, dir)
	wantLog(t, s, a.ID, as)
	if got, err := s.Workshop(t.Context(), a.Code); err != nil || got.ID != a.ID {
		t.Errorf("Workshop by code after sealing: got %+v, %v", got, err)
	}
}

func unsealBucket(tx *bolt.Tx, b *bolt.Bucket) error {
	var keys, vals, subs [][]byte
	b.ForEach(func(k, v []byte) error {
		if v == nil {
			subs = append(subs, bytes.Clone(k))
			return nil
		}
		plain, err := unseal(tx, k, v, "")
		keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(plain))
		return err
	})
	for i, k := range keys {
		if err := b.Put(k, vals[i]); err != nil {
			return err
		}
	}
	for _, k := range subs {
		if err := unsealBucket(tx, b.Bucket(k)); err != nil {
			return err
		}
	}
	return nil
}
