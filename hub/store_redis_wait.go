package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// appendWaiting runs the append script and then WAIT on one connection,
// so that WAIT covers the script's writes: an op is returned only once
// s.wait replicas have it. A re-sent op's script writes too (see
// append.lua), so that its WAIT covers the original. If too few replicas
// answer in time the append fails, though the op is in the log: its
// re-send finds it and waits again.
func (s *RedisStore) appendWaiting(ctx context.Context, workshopID string, args []any) ([]int64, error) {
	keys := redisKeys(workshopID)
	for attempt := 0; ; attempt++ {
		var run *redis.Cmd
		var wait *redis.Cmd
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			run = s.sc.append.EvalSha(ctx, p, keys, args...)
			wait = p.Do(ctx, "WAIT", s.wait, s.waitFor.Milliseconds())
			return nil
		})
		if err != nil && redis.HasErrorPrefix(run.Err(), "NOSCRIPT") && attempt == 0 {
			if err := s.sc.append.Load(ctx, s.rdb).Err(); err != nil {
				return nil, fmt.Errorf("load append script: %w", err)
			}
			continue
		}
		res, err := run.Int64Slice()
		if err != nil {
			return nil, err
		}
		if len(res) == 2 && (res[0] == luaOK || res[0] == luaDuplicate) {
			if n, err := wait.Int64(); err != nil || n < int64(s.wait) {
				return nil, fmt.Errorf("%d of %d redis replicas had the op within %v: %w", n, s.wait, s.waitFor, cmp.Or(err, errTooFewReplicas))
			}
		}
		return res, nil
	}
}

// errTooFewReplicas: WAIT returned before enough replicas had an op.
var errTooFewReplicas = errors.New("too few replicas")
