package hub

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// redisShard is the subscriber of one cluster slot. A shard channel is
// served by the node that owns its slot, and SSUBSCRIBE takes channels of
// one slot only; go-redis ties a subscriber to the node of its channels
// and subscribes them all again at once when it reconnects. So the store
// keeps one subscriber per slot that has local rooms: its channels can
// always go in one command, and a reconnect finds the slot's owner anew.
type redisShard struct {
	ps    *redis.PubSub
	rooms int // channels subscribed on ps
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
			sh = &redisShard{ps: s.rdb.SSubscribe(context.Background())}
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
			go s.readNews(sh.ps.ChannelWithSubscriptions(redis.WithChannelSize(newsBuffer)))
		}
		for _, ch := range chs {
			on[ch] = true
		}
		sh.rooms += len(chs)
	}
	for slot, chs := range bySlot(drop) {
		sh := s.shards[slot]
		for _, ch := range chs {
			delete(on, ch)
		}
		if sh.rooms -= len(chs); sh.rooms > 0 {
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
