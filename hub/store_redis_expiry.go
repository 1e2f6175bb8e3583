package hub

import (
	"context"
	"fmt"
	"time"
)

// Touch implements Store: every key of the room, and its join code (in a
// call of its own: on a cluster it is in another slot), expire ttl from
// now. A key made later takes the workshop's expiry as it is
// made (see keep in lua/room.lua); rooms touch when they load, while
// people are in them, and when they end.
func (s *RedisStore) Touch(ctx context.Context, id string, ttl time.Duration) error {
	w, err := s.Workshop(ctx, id)
	if err != nil {
		return err
	}
	res, err := s.sc.touch.Run(ctx, s.rdb, redisKeys(w.ID), ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("touch workshop: %w", err)
	}
	if res == luaNotFound {
		return ErrNotFound
	}
	if err := s.rdb.PExpire(ctx, redisCodeKey(w.Code), ttl).Err(); err != nil {
		return fmt.Errorf("touch join code: %w", err)
	}
	return nil
}

// Expired implements Store: Redis removes expired keys by itself.
func (s *RedisStore) Expired(context.Context, time.Time) ([]string, error) { return nil, nil }
