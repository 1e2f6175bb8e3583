package hub

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// ErrDamaged is what a *DamageError is: data on disk that fails its
// checks. An acknowledged change may be in it.
var ErrDamaged = errors.New("stored data damaged")

// DamageError names damaged data on disk: the file, where in it, and,
// when known, whose it is.
type DamageError struct {
	File     string
	Offset   int64  // byte offset in File, or -1 when not known
	Workshop string // the workshop the data belongs to, when known
	Reason   string
}

func (e *DamageError) Error() string {
	msg := e.File
	if e.Offset >= 0 {
		msg += fmt.Sprintf(" is damaged at byte %d", e.Offset)
	} else {
		msg += " is damaged"
	}
	if e.Workshop != "" {
		msg += ", in workshop " + e.Workshop
	}
	return msg + ": " + e.Reason
}

// Is makes errors.Is(err, ErrDamaged) hold.
func (e *DamageError) Is(target error) bool { return target == ErrDamaged }

// DamagePolicy is what the embedded store does when it opens and finds
// damage anywhere but in a torn tail of its log.
type DamagePolicy int

const (
	// DamageRefuse refuses to open, naming the damage: nothing is changed,
	// so a person can look, restore a backup, or choose to quarantine.
	DamageRefuse DamagePolicy = iota
	// DamageQuarantine opens anyway: it keeps every record before the
	// damage and every valid one after it that continues its workshop's
	// versions, moves the damaged log file aside (never deleting it), and
	// gives every workshop a new epoch, so that no phone resumes as if
	// nothing were lost.
	DamageQuarantine
)

// EmbeddedConfig is how to open an embedded store.
type EmbeddedConfig struct {
	Dir     string
	Damaged DamagePolicy
	Log     *slog.Logger // nil: slog.Default()
}

// newEpochs starts every workshop under a new epoch after the log was
// found damaged. The damaged records cannot say whose they were, so any
// workshop may have lost an acknowledged op in them; a new epoch makes
// every phone take the whole board once rather than resume a history
// with a hole. cut lists the workshops whose versions visibly jump.
func (s *EmbeddedStore) newEpochs(damage []*DamageError, cut map[string]bool) error {
	var ids []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bRooms).ForEach(func(id, _ []byte) error {
			if s.damagedRooms[string(id)] != nil {
				return nil // refused anyway
			}
			r, err := room(tx, string(id))
			if err != nil {
				return err
			}
			epoch := uuid.NewString()
			if err := put(r.Bucket(bMeta), kEpoch, []byte(epoch)); err != nil {
				return err
			}
			if p := s.pending[string(id)]; p != nil {
				p.epoch = epoch
			}
			ids = append(ids, string(id))
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("start new epochs after damage: %w", err)
	}
	var cuts []string
	for id := range cut {
		cuts = append(cuts, id)
	}
	slices.Sort(cuts)
	for _, d := range damage {
		s.log.Error("DAMAGED WRITE-AHEAD LOG: quarantined; acknowledged changes in the damage may be lost, every workshop starts a new epoch",
			"file", d.File, "offset", d.Offset, "reason", d.Reason, "workshops_cut", cuts, "workshops", ids)
	}
	return nil
}
