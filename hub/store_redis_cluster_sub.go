package hub

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// followSlotsEvery is how often a store on a cluster asks the cluster
// where its subscribed slots are, so that a subscriber left on a dead
// master or on a slot's former owner moves to the new one.
const followSlotsEvery = time.Second

// redisShard is the subscriber of one cluster slot. A shard channel is
// served by the node that owns its slot, and SSUBSCRIBE takes channels of
// one slot only; go-redis ties a subscriber to the node of its channels.
// So the store keeps one subscriber per slot that has local rooms: its
// channels can always go in one command.
//
// When the slot moves (a replica took over, or it migrated) go-redis does
// not follow it: it reconnects to the node it knew, or the old owner drops
// the channels (SUNSUBSCRIBE). Then the store closes the subscriber and
// opens a new one on the slot's owner (see followSlots), whose SSUBSCRIBE
// confirmation makes the rooms resync, covering news sent meanwhile.
type redisShard struct {
	// set at construction
	ps   *redis.PubSub
	addr string // the slot's master, as the cluster client saw it, when ps was opened

	chans map[string]bool // channels subscribed on ps; owned by syncRooms
	lost  atomic.Bool     // set by its readNews: the node dropped a wanted channel
}

// resubscribeSharded is resubscribe on a cluster: it subscribes add and
// unsubscribes drop, slot by slot, opening a slot's subscriber with its
// first room and closing it with its last. Owned by syncRooms.
func (s *RedisStore) resubscribeSharded(ctx context.Context, on map[string]bool, add, drop []string) error {
	var failed error
	for slot, chs := range bySlot(add) {
		sh := s.shards[slot]
		fresh := sh == nil
		if fresh {
			// No connection yet: go-redis opens one to the slot's owner
			// when SSubscribe names the channels.
			sh = &redisShard{ps: s.rdb.SSubscribe(context.Background()), addr: s.slotMaster(ctx, chs[0]), chans: map[string]bool{}}
		}
		if err := sh.ps.SSubscribe(ctx, chs...); err != nil {
			if fresh {
				sh.ps.Close()
			}
			if failed == nil {
				failed = err
			}
			continue // still wanted: tried again
		}
		if fresh {
			s.shards[slot] = sh
			s.wg.Add(1)
			go s.readNews(sh.ps.ChannelWithSubscriptions(redis.WithChannelSize(newsBuffer)), func() {
				sh.lost.Store(true)
				s.poke()
			})
		}
		for _, ch := range chs {
			on[ch], sh.chans[ch] = true, true
		}
	}
	for slot, chs := range bySlot(drop) {
		sh := s.shards[slot]
		for _, ch := range chs {
			delete(on, ch)
			delete(sh.chans, ch)
		}
		if len(sh.chans) > 0 {
			// As with UNSUBSCRIBE, go-redis forgets the channels even on
			// failure, and a message that still comes finds no subscriber.
			if err := sh.ps.SUnsubscribe(ctx, chs...); err != nil && failed == nil {
				failed = err
			}
			continue
		}
		sh.ps.Close() // its readNews ends
		delete(s.shards, slot)
	}
	return failed
}

// followSlots closes the subscriber of every slot that moved: its node
// dropped a wanted channel, or the cluster now names another master for
// it. Its channels leave on, so that resubscribe, which syncRooms calls
// next, opens the slot's subscriber anew. Owned by syncRooms.
func (s *RedisStore) followSlots(ctx context.Context, on map[string]bool) {
	for slot, sh := range s.shards {
		var ch string
		for ch = range sh.chans {
			break
		}
		if !sh.lost.Load() && s.slotMaster(ctx, ch) == sh.addr {
			continue
		}
		if sh.lost.Load() {
			// The client may not know the new owner yet: the subscriber
			// opened next may land on the old one, to be moved again
			// once the slots are read (by the next followSlotsEvery).
			s.reloadSlots(ctx)
		}
		s.log.Info("redis cluster slot moved; subscribing on its new owner", "slot", slot, "from", sh.addr)
		sh.ps.Close()
		delete(s.shards, slot)
		for ch := range sh.chans {
			delete(on, ch)
		}
	}
}

// reloadSlots has the cluster client read the slots' owners again, in the
// background: at most one CLUSTER SLOTS per followSlotsEvery, and none
// while no room is subscribed. Owned by syncRooms.
func (s *RedisStore) reloadSlots(ctx context.Context) {
	if c, ok := s.rdb.(*redis.ClusterClient); ok && len(s.shards) > 0 {
		c.ReloadState(ctx)
	}
}

// slotMaster is the address of the master the cluster client would send
// key to, or "" when it knows none.
func (s *RedisStore) slotMaster(ctx context.Context, key string) string {
	c, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return ""
	}
	node, err := c.MasterForKey(ctx, key)
	if err != nil {
		return ""
	}
	return node.Options().Addr
}

// closeShards closes every slot's subscriber, as the store closes.
func (s *RedisStore) closeShards() {
	for slot, sh := range s.shards {
		sh.ps.Close()
		delete(s.shards, slot)
	}
}

// bySlot groups shard channels by their slot.
func bySlot(chs []string) map[int][]string {
	out := map[int][]string{}
	for _, ch := range chs {
		slot := redisSlot(ch)
		out[slot] = append(out[slot], ch)
	}
	return out
}
