package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// appendWaiting runs the append script and then WAIT on one connection,
// so that WAIT covers the script's writes: an op is returned only once
// s.wait replicas have it. A re-sent op's script writes too (see
// append.lua), so that its WAIT covers the original. If too few replicas
// answer in time the append fails, though the op is in the log: its
// re-send finds it and waits again.
//
// On a cluster the pair goes to the master of the room's slot, through
// that node's own client: the cluster client would send a keyless WAIT to
// any node, and it re-routes a redirected command alone, on another
// connection. So redirections are followed here: a slot that moved or is
// moving is looked up again, a few times, before the append fails.
func (s *RedisStore) appendWaiting(ctx context.Context, workshopID string, args []any) ([]int64, error) {
	keys := redisKeys(workshopID)
	loaded := false
	for redirects := 0; ; {
		node, err := s.waitNode(ctx, keys[0])
		if err != nil {
			return nil, err
		}
		var run *redis.Cmd
		var wait *redis.Cmd
		_, err = node.Pipelined(ctx, func(p redis.Pipeliner) error {
			run = s.sc.append.EvalSha(ctx, p, keys, args...)
			wait = p.Do(ctx, "WAIT", s.wait, s.waitFor.Milliseconds())
			return nil
		})
		if err != nil && !redis.HasErrorPrefix(run.Err(), "NOSCRIPT") {
			// The slot may have a new master: look it up again before the
			// next append, which the node's own client would not do.
			if c, ok := s.rdb.(*redis.ClusterClient); ok {
				c.ReloadState(ctx)
			}
		}
		switch {
		case err != nil && redis.HasErrorPrefix(run.Err(), "NOSCRIPT") && !loaded:
			if err := s.sc.append.Load(ctx, node).Err(); err != nil {
				return nil, fmt.Errorf("load append script: %w", err)
			}
			loaded = true
			continue
		case err != nil && redirected(run.Err()) && redirects < maxRedirects:
			redirects++
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(redirects) * 20 * time.Millisecond):
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

// maxRedirects is how often an append that waits follows a slot that
// moved before it fails (and its op is sent again by the phone).
const maxRedirects = 5

// waitNode is the client that runs an append and its WAIT for key: the
// store's own on one Redis, the slot's master on a cluster.
func (s *RedisStore) waitNode(ctx context.Context, key string) (redis.Cmdable, error) {
	c, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return s.rdb, nil
	}
	node, err := c.MasterForKey(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("find the redis node of %s: %w", key, err)
	}
	return node, nil
}

// redirected says whether err is a cluster's answer that a slot is
// elsewhere or on its way there.
func redirected(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := redis.IsMovedError(err); ok {
		return true
	}
	if _, ok := redis.IsAskError(err); ok {
		return true
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "TRYAGAIN") || strings.HasPrefix(msg, "CLUSTERDOWN")
}

// errTooFewReplicas: WAIT returned before enough replicas had an op.
var errTooFewReplicas = errors.New("too few replicas")
