package hub

import (
	"encoding/json"
	"strings"
)

// A Redis that comes back from an older snapshot or append-only file, or a
// replica promoted after it missed writes, holds a whole but older copy of
// a room's history, consistent in itself: nothing inside it tells that ops
// are missing, and versions after its top would be given again to other
// ops. What it cannot erase is what the instances saw. Each store keeps,
// per room, a mark of the furthest point of the history it saw (epoch,
// version, and the op id there) and hands it to every head and append
// script: when Redis no longer has that op at that version, the script
// starts a new epoch for the room, so that rooms reload and every client
// gets the whole board (see rewound in lua/room.lua). The clients' own
// memory (sinceId on join) covers the case no instance remembers.

// maxMarks bounds the rooms a store remembers marks of; past it, marks
// are forgotten in no particular order (each is renewed at the room's
// next head or append).
const maxMarks = 1 << 16

// redisMark is the furthest point of a room's history an instance saw.
type redisMark struct {
	epoch string
	v     int64
	id    string // the op id at v; "" if not known
}

// saw records that the instance saw a room's history at m: it moves the
// mark forward within an epoch, and to m's epoch when that is another
// (what Redis answers now is the history going on).
func (s *RedisStore) saw(workshopID string, m redisMark) {
	if m.epoch == "" {
		return
	}
	s.marksMu.Lock()
	defer s.marksMu.Unlock()
	cur, ok := s.marks[workshopID]
	if ok && cur.epoch == m.epoch && cur.v >= m.v {
		return
	}
	if !ok && len(s.marks) >= maxMarks {
		for k := range s.marks {
			delete(s.marks, k)
			break
		}
	}
	s.marks[workshopID] = m
}

// mark returns the room's mark; the zero mark checks nothing.
func (s *RedisStore) mark(workshopID string) redisMark {
	s.marksMu.Lock()
	defer s.marksMu.Unlock()
	return s.marks[workshopID]
}

// forget drops a room's mark, as the room is deleted.
func (s *RedisStore) forget(workshopID string) {
	s.marksMu.Lock()
	defer s.marksMu.Unlock()
	delete(s.marks, workshopID)
}

// rewound logs a rewound history, once, where a script found it.
func (s *RedisStore) rewound(workshopID string, saw redisMark, top int64, epoch string) {
	s.log.Warn("redis lost acknowledged ops of a workshop (restored from an older copy, or failed over to a replica that missed writes); it goes on under a new epoch and its clients get the whole board",
		"workshop", workshopID, "sawEpoch", saw.epoch, "sawV", saw.v, "sawOp", saw.id, "top", top, "epoch", epoch)
}

// workshopOfChannel is the workshop id of a room's channel.
func workshopOfChannel(ch string) string {
	id, _ := strings.CutPrefix(ch, "wb:{")
	id, _ = strings.CutSuffix(id, "}:ch")
	return id
}

// snapshotLastID is the id of the op at a snapshot's version, as the
// board records it ("" if it does not), so that the store can refuse a
// snapshot made from another history.
func snapshotLastID(data []byte) string {
	var b struct {
		LastID string `json:"lastId"`
	}
	json.Unmarshal(data, &b)
	return b.LastID
}
