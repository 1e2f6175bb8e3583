package hub

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub/board"
)

// Subscription timings and sizes.
const (
	// newsBuffer is how many messages go-redis holds for readNews; readNews
	// never waits on a room, so it rarely holds any.
	newsBuffer = 1024
	// resubscribeAfter is how long syncRooms waits before trying again
	// after SUBSCRIBE or UNSUBSCRIBE failed.
	resubscribeAfter = time.Second
)

// redisSub is one local subscriber of a room.
type redisSub struct {
	// set at construction
	deliver func(board.Entry)
	resync  func()

	mu    sync.Mutex // held while calling deliver or resync, and to end
	ended bool       // guarded by mu; set by unsubscribe
}

// news calls deliver with e unless the subscription ended. (Not a closure
// over e: that would move every entry heard to the heap.)
func (sub *redisSub) news(e board.Entry) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.ended {
		sub.deliver(e)
	}
}

// check calls resync unless the subscription ended.
func (sub *redisSub) check() {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.ended {
		sub.resync()
	}
}

// Subscribe implements Store. All rooms share the store's one subscriber
// connection (on a cluster, those of a slot share one): a room's channel is subscribed while it has a local
// subscriber. SUBSCRIBE is sent by syncRooms, so Subscribe never waits on
// Redis; when Redis confirms it, readNews calls resync, which covers
// whatever was appended before the subscription took effect. Once
// unsubscribe returns, neither deliver nor resync is called again; they must
// not call their own unsubscribe.
func (s *RedisStore) Subscribe(workshopID string, deliver func(board.Entry), resync func()) func() {
	ch := redisChannel(workshopID)
	sub := &redisSub{deliver: deliver, resync: resync}
	s.mu.Lock()
	subs := s.rooms[ch]
	if subs == nil {
		subs = map[*redisSub]struct{}{}
		s.rooms[ch] = subs
	}
	subs[sub] = struct{}{}
	first := len(subs) == 1
	s.mu.Unlock()
	if first {
		s.poke()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			sub.mu.Lock()
			sub.ended = true
			sub.mu.Unlock()
			s.mu.Lock()
			delete(s.rooms[ch], sub)
			last := len(s.rooms[ch]) == 0
			if last {
				delete(s.rooms, ch)
			}
			s.mu.Unlock()
			if last {
				s.poke()
			}
		})
	}
}

// poke tells syncRooms that the set of rooms wanted changed.
func (s *RedisStore) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// subscribers returns a room's local subscribers, to be called without mu
// held, so that a subscriber may subscribe or unsubscribe from its
// callbacks.
func (s *RedisStore) subscribers(ch string) []*redisSub {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Keys(s.rooms[ch]))
}

// syncRooms runs for the store's life. It owns the list of channels
// subscribed on ps and brings it in line with the rooms that have local
// subscribers. Working from the wanted set rather than a queue of requests
// keeps SUBSCRIBE and UNSUBSCRIBE in the right order however Subscribe and
// unsubscribe calls interleave.
func (s *RedisStore) syncRooms() {
	defer s.wg.Done()
	defer s.closeShards()
	on := map[string]bool{} // channels subscribed on ps
	failing := false        // the last attempt failed, and was logged
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	var follow <-chan time.Time // a cluster's slots are looked up again
	if s.shards != nil {
		t := time.NewTicker(followSlotsEvery)
		defer t.Stop()
		follow = t.C
	}
	for {
		select {
		case <-s.quit:
			return
		case <-s.kick:
		case <-retry.C:
		case <-follow:
			s.reloadSlots(context.Background())
		}
		err := s.resubscribe(on)
		select {
		case <-s.quit:
			return
		default:
		}
		switch {
		case err != nil && !failing:
			s.log.Warn("redis subscribe failed; retrying", "err", err)
		case err == nil && failing:
			s.log.Info("redis subscribe works again")
		}
		if failing = err != nil; failing {
			retry.Reset(resubscribeAfter)
		}
	}
}

// resubscribe sends SUBSCRIBE and UNSUBSCRIBE for the rooms that gained
// their first or lost their last local subscriber, and marks in on what
// was done.
func (s *RedisStore) resubscribe(on map[string]bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	if s.shards != nil {
		s.followSlots(ctx, on) // first: the channels of a moved slot are added again below
	}
	var add, drop []string
	s.mu.Lock()
	for ch := range s.rooms {
		if !on[ch] {
			add = append(add, ch)
		}
	}
	for ch := range on {
		if s.rooms[ch] == nil {
			drop = append(drop, ch)
		}
	}
	s.mu.Unlock()

	if s.shards != nil {
		return s.resubscribeSharded(ctx, on, add, drop)
	}
	var failed error
	if len(add) > 0 {
		// On failure go-redis may not have sent SUBSCRIBE on any
		// connection, so the channels stay wanted and are tried again.
		if failed = s.ps.Subscribe(ctx, add...); failed == nil {
			for _, ch := range add {
				on[ch] = true
			}
		}
	}
	if len(drop) > 0 {
		// go-redis forgets the channels even on failure, and a new
		// connection does not subscribe them again; a message that still
		// comes for one finds no subscriber.
		if err := s.ps.Unsubscribe(ctx, drop...); err != nil && failed == nil {
			failed = err
		}
		for _, ch := range drop {
			delete(on, ch)
		}
	}
	return failed
}

// readNews runs for the life of a subscriber connection: the store's, or
// on a cluster its slot's (see redisShard).
// A subscribe confirmation means go-redis (re)subscribed a channel, after
// which news sent meanwhile may be missing: the room's subscribers resync.
// On a cluster, lost is called when the node drops a channel that still
// has local rooms, as a slot's former owner does. It never waits on a
// subscriber.
func (s *RedisStore) readNews(msgs <-chan any, lost func()) {
	defer s.wg.Done()
	for msg := range msgs {
		switch m := msg.(type) {
		case *redis.Subscription:
			switch {
			case m.Kind == "subscribe" || m.Kind == "ssubscribe":
				s.resync(m.Channel)
			case m.Kind == "sunsubscribe" && lost != nil && len(s.subscribers(m.Channel)) > 0:
				lost()
			}
		case *redis.Message:
			if m.Payload == resyncNews {
				s.resync(m.Channel)
			} else if e, err := board.DecodeEntry([]byte(m.Payload)); err != nil || e.V < 1 {
				s.log.Warn("undecodable news; resyncing the room", "channel", m.Channel, "err", err)
				s.resync(m.Channel)
			} else {
				s.saw(workshopOfChannel(m.Channel), redisMark{epoch: e.Epoch, v: e.V, id: e.ID})
				for _, sub := range s.subscribers(m.Channel) {
					sub.news(e)
				}
			}
		}
	}
}

// resync asks every local subscriber of a room to check its head.
func (s *RedisStore) resync(ch string) {
	for _, sub := range s.subscribers(ch) {
		sub.check()
	}
}
