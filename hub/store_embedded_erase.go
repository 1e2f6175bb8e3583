package hub

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/withboard/withboard/hub/board"
)

// Deleting a card, a participant's cards or a workshop erases their text
// from the data directory before the answer: the log's segments that hold
// it are copied into bbolt and removed, the text is blanked in the
// entries and the snapshot that bbolt keeps, and bbolt's file is
// replaced by a compacted copy, since the pages it frees keep what was
// written in them.
//
// Encrypting each workshop's records under a key of its own and forgetting
// the key would erase a workshop without copying the file, but not a card
// from a workshop that goes on, and the key would itself stay readable in
// bbolt's freed pages; deletes are rare and the file small, so a copy per
// delete is the simpler sound way.

// erasure is the text a durable entry deletes: the cards it names, or
// every card of a participant.
type erasure struct {
	room  string
	cards map[string]bool
	owner string
}

// erasing returns what e, appended to room, deletes, if anything.
func erasing(room string, e *board.Entry) (erasure, bool) {
	switch {
	case e.Op.Kind == board.KindCardDelete && e.Op.CardID != "":
		return erasure{room: room, cards: map[string]bool{e.Op.CardID: true}}, true
	case e.Op.Kind == board.KindParticipantRemove && e.Op.RemoveCards != nil && *e.Op.RemoveCards:
		return erasure{room: room, owner: e.Op.ParticipantID}, true
	}
	return erasure{}, false
}

// holds reports whether e carries text er deletes.
func (er erasure) holds(e *board.Entry) bool {
	switch e.Op.Kind {
	case board.KindCardAdd:
		return e.Op.Card != nil && (er.cards[e.Op.Card.ID] || er.owner != "" && (e.By == er.owner || e.Owner == er.owner))
	case board.KindCardEdit:
		return e.Op.Text != nil && (er.cards[e.Op.CardID] || er.owner != "" && e.Owner == er.owner)
	}
	return false
}

// holdsCard reports whether a snapshot's card id has text er deletes.
func (er erasure) holdsCard(id string, c *board.Card) bool {
	return c.Text != "" && (er.cards[id] || er.owner != "" && c.By == er.owner)
}

// erased is a Pending that is done once its entry is durable and what it
// deletes is erased.
type erased struct {
	done chan struct{}
	err  error
}

func (p *erased) Done() <-chan struct{} { return p.done }
func (p *erased) Err() error            { return p.err }

// eraseAfter returns a Pending for an entry that deletes er: done once
// wait is, and er is erased.
func (s *EmbeddedStore) eraseAfter(wait Pending, er erasure) Pending {
	p := &erased{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		if wait != nil {
			<-wait.Done()
			if p.err = wait.Err(); p.err != nil {
				return
			}
		}
		if p.err = s.erase(er); p.err != nil {
			s.log.Error("erase deleted text", "workshop", er.room, "err", p.err)
		}
	}()
	return p
}

// erase removes what er deletes from every file, once its entry is
// durable. A checkpoint first puts every entry, the deleting one too,
// into bbolt and removes the segments that held them.
func (s *EmbeddedStore) erase(er erasure) error {
	if found, err := s.holdsText(er); err != nil || !found {
		return err
	}
	if err := s.checkpoint(false); err != nil {
		return err
	}
	err := s.commits.do(func(tx *bolt.Tx) error {
		r, err := room(tx, er.room)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := blankEntries(tx, r.Bucket(bLog), er); err != nil {
			return err
		}
		return blankSnapshot(tx, r.Bucket(bMeta), er)
	})
	if err != nil {
		return err
	}
	return s.db.compact()
}

// holdsText reports whether the store holds text er deletes: in a pending
// entry, or in an entry or the snapshot in bbolt. Where it holds none, its
// files hold none either: text leaves a room's log only for its snapshot,
// and a snapshot taken after the delete has none.
func (s *EmbeddedStore) holdsText(er erasure) (bool, error) {
	s.logMu.Lock()
	if p := s.pending[er.room]; p != nil {
		for _, pe := range p.entries {
			if er.holds(pe.e) {
				s.logMu.Unlock()
				return true, nil
			}
		}
	}
	s.logMu.Unlock()
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := room(tx, er.room)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		err = r.Bucket(bLog).ForEach(func(k, v []byte) error {
			data, err := unseal(tx, k, v, er.room)
			if err != nil {
				return err
			}
			e, err := board.DecodeEntry(data)
			found = found || err == nil && er.holds(&e)
			return nil
		})
		if err != nil || found {
			return err
		}
		data, err := get(r.Bucket(bMeta), kSnapshot, er.room)
		if err != nil || data == nil {
			return err
		}
		b, err := board.UnmarshalBoard(data)
		if err != nil {
			return fmt.Errorf("workshop %s: snapshot: %w", er.room, err)
		}
		for id, card := range b.Cards {
			found = found || er.holdsCard(id, card)
		}
		return nil
	})
	return found, err
}

// blankEntries blanks the text of the room's entries that hold text er
// deletes.
func blankEntries(tx *bolt.Tx, log *bolt.Bucket, er erasure) error {
	var blank []board.Entry // put after the walk: a put moves a cursor
	c := log.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		data, err := unseal(tx, k, v, er.room)
		if err != nil {
			return err
		}
		if e, err := board.DecodeEntry(data); err == nil && er.holds(&e) {
			blank = append(blank, e)
		}
	}
	for _, e := range blank {
		if e.Op.Card != nil {
			card := *e.Op.Card
			card.Text = ""
			e.Op.Card = &card
		}
		if e.Op.Text != nil {
			e.Op.Text = new(string)
		}
		if err := put(log, u64(e.V), e.Encode()); err != nil {
			return err
		}
	}
	return nil
}

// blankSnapshot blanks the text of the snapshot's cards that er deletes.
func blankSnapshot(tx *bolt.Tx, meta *bolt.Bucket, er erasure) error {
	data, err := get(meta, kSnapshot, er.room)
	if err != nil || data == nil {
		return err
	}
	b, err := board.UnmarshalBoard(data)
	if err != nil {
		return fmt.Errorf("workshop %s: snapshot: %w", er.room, err)
	}
	changed := false
	for id, card := range b.Cards {
		if er.holdsCard(id, card) {
			card.Text, changed = "", true
		}
	}
	if !changed {
		return nil
	}
	out, err := b.MarshalBoard()
	if err != nil {
		return err
	}
	return put(meta, kSnapshot, out)
}
