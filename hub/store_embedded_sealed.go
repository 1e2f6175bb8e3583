package hub

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// bbolt keeps no checksums of its own, so every value the embedded store
// puts in it ends in a CRC-32C of its key and itself, checked on every
// read. A value that fails is a *DamageError naming its workshop, never a
// wrong board; a key that was damaged shows when the store opens, which
// reads every value once.
var (
	bFormat = []byte("format") // kValues -> how values are sealed
	kValues = []byte("values")
	sealed  = []byte("crc32c")
)

func sealSum(key, v []byte) uint32 {
	return crc32.Update(crc32.Checksum(key, walCRC), walCRC, v)
}

// seal is v as stored under key.
func seal(key, v []byte) []byte {
	out := make([]byte, len(v), len(v)+4)
	copy(out, v)
	return binary.LittleEndian.AppendUint32(out, sealSum(key, v))
}

func put(b *bolt.Bucket, key, v []byte) error { return b.Put(key, seal(key, v)) }

// unseal checks a stored value and returns it without its checksum.
func unseal(tx *bolt.Tx, key, stored []byte, workshop string) ([]byte, error) {
	if n := len(stored) - 4; n >= 0 && sealSum(key, stored[:n]) == binary.LittleEndian.Uint32(stored[n:]) {
		return stored[:n], nil
	}
	return nil, damaged(tx, workshop, fmt.Sprintf("the value of %q fails its checksum", key))
}

// get reads a sealed value: nil when there is none.
func get(b *bolt.Bucket, key []byte, workshop string) ([]byte, error) {
	v := b.Get(key)
	if v == nil {
		return nil, nil
	}
	return unseal(b.Tx(), key, v, workshop)
}

func getI64(b *bolt.Bucket, key []byte, workshop string) (int64, error) {
	v, err := get(b, key, workshop)
	return i64(v), err
}

// readHead reads a room's top version and epoch from its meta bucket.
func readHead(meta *bolt.Bucket, workshop string) (int64, string, error) {
	top, err := getI64(meta, kTop, workshop)
	if err != nil {
		return 0, "", err
	}
	epoch, err := get(meta, kEpoch, workshop)
	return top, string(epoch), err
}

func damaged(tx *bolt.Tx, workshop, reason string) *DamageError {
	return &DamageError{File: tx.DB().Path(), Offset: -1, Workshop: workshop, Reason: reason}
}

// refused is the damage found in a workshop when the store opened, under
// DamageQuarantine: such a workshop is refused, its data left as it is.
func (s *EmbeddedStore) refused(id string) error {
	if d := s.damagedRooms[id]; d != nil {
		return d
	}
	return nil
}

// prepareValues seals the values of a database written before values
// were sealed, once, and marks it. Every bucket is walked in one
// transaction.
func prepareValues(tx *bolt.Tx) (migrated bool, err error) {
	if f := tx.Bucket(bFormat); f != nil && bytes.Equal(f.Get(kValues), sealed) {
		return false, nil
	}
	var names [][]byte
	tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, bytes.Clone(name))
		return nil
	})
	for _, name := range names {
		if err := sealBucket(tx.Bucket(name)); err != nil {
			return false, err
		}
		migrated = migrated || tx.Bucket(name).Stats().KeyN > 0
	}
	f, err := tx.CreateBucketIfNotExists(bFormat)
	if err != nil {
		return false, err
	}
	return migrated, f.Put(kValues, sealed)
}

func sealBucket(b *bolt.Bucket) error {
	var keys, vals, subs [][]byte
	b.ForEach(func(k, v []byte) error {
		if v == nil {
			subs = append(subs, bytes.Clone(k))
		} else {
			keys, vals = append(keys, bytes.Clone(k)), append(vals, seal(k, v))
		}
		return nil
	})
	for i, k := range keys {
		if err := b.Put(k, vals[i]); err != nil {
			return err
		}
	}
	for _, k := range subs {
		if err := sealBucket(b.Bucket(k)); err != nil {
			return err
		}
	}
	return nil
}

// checkDatabase checks every value in db. Damage outside any workshop is
// returned as an error whatever the policy; damage in workshops too,
// unless quarantined: then those workshops are logged and returned, to
// be refused.
func checkDatabase(db *bolt.DB, policy DamagePolicy, log *slog.Logger) (map[string]*DamageError, error) {
	rooms, outside := checkValues(db)
	if outside != nil {
		return nil, outside
	}
	if len(rooms) == 0 {
		return nil, nil
	}
	ids := slices.Sorted(maps.Keys(rooms))
	if policy != DamageQuarantine {
		return nil, rooms[ids[0]]
	}
	for _, id := range ids {
		log.Error("DAMAGED DATABASE: workshop refused; its data is left as it is, for a person to look at or restore",
			"file", rooms[id].File, "workshop", id, "reason", rooms[id].Reason)
	}
	return rooms, nil
}

// checkValues reads every value in the database once and returns the
// damage found: in each workshop (at most one report each), and outside
// any (which no quarantine can put aside). A page whose structure is
// damaged makes bbolt panic; that is reported too.
func checkValues(db *bolt.DB) (rooms map[string]*DamageError, outside *DamageError) {
	rooms = map[string]*DamageError{}
	err := db.View(func(tx *bolt.Tx) (err error) {
		where := "" // the workshop being read, for a panic
		defer func() {
			if p := recover(); p != nil {
				err = damaged(tx, where, fmt.Sprintf("the database's pages are damaged (%v)", p))
			}
		}()
		for cerr := range tx.Check() {
			return damaged(tx, "", fmt.Sprintf("the database's pages are damaged: %v", cerr))
		}
		note := func(id string, err error) {
			if d, ok := err.(*DamageError); ok && rooms[id] == nil {
				rooms[id] = d
			}
		}
		for _, name := range [][]byte{bWorkshops, bExpiry} {
			tx.Bucket(name).ForEach(func(id, v []byte) error {
				where = string(id)
				_, err := unseal(tx, id, v, string(id))
				note(string(id), err)
				return nil
			})
		}
		var codeErr error
		tx.Bucket(bCodes).ForEach(func(code, v []byte) error {
			id, err := unseal(tx, code, v, "")
			if err != nil && len(v) > 4 && tx.Bucket(bWorkshops).Get(v[:len(v)-4]) != nil {
				// Likely the code of the workshop it names: refuse that one.
				owner := string(v[:len(v)-4])
				note(owner, damaged(tx, owner, err.(*DamageError).Reason+" (a join code)"))
			} else if err != nil && codeErr == nil {
				codeErr = err
			} else if err == nil && tx.Bucket(bWorkshops).Get(id) == nil {
				codeErr = damaged(tx, "", fmt.Sprintf("join code %q names workshop %q, which is not there", code, id))
			}
			return nil
		})
		if codeErr != nil {
			return codeErr
		}
		return tx.Bucket(bRooms).ForEach(func(id, _ []byte) error {
			where = string(id)
			note(where, checkRoom(tx, tx.Bucket(bRooms).Bucket(id), where))
			return nil
		})
	})
	if err != nil {
		d, ok := err.(*DamageError)
		if !ok {
			d = &DamageError{File: db.Path(), Offset: -1, Reason: err.Error()}
		}
		if d.Workshop == "" {
			return rooms, d
		}
		rooms[d.Workshop] = d
	}
	return rooms, nil
}

// checkRoom reads every value of a room's bucket.
func checkRoom(tx *bolt.Tx, r *bolt.Bucket, id string) error {
	for _, name := range [][]byte{bMeta, bLog, bOps, bPeople} {
		b := r.Bucket(name)
		if b == nil {
			return damaged(tx, id, fmt.Sprintf("the room's %s is missing", name))
		}
		err := b.ForEach(func(k, v []byte) error {
			_, err := unseal(tx, k, v, id)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
