package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Redis Cluster. Every key of a room carries its hash tag, so each room
// lives in one slot, and the store sends nothing that spans two: a room's
// scripts and transactions take only its keys and its channel, and the
// join code, which is found before the room is known and so has a slot of
// its own, is claimed, renewed and freed by calls of its own. News goes by
// sharded pub/sub (SPUBLISH in the scripts, SSUBSCRIBE here), handled by
// the node that owns the room's slot alone.

// redisClusterSlots is how many hash slots a Redis Cluster has.
const redisClusterSlots = 16384

// dialRedis makes the client cfg asks for, and says where it goes for
// error messages. It does not connect.
func dialRedis(cfg RedisConfig) (redis.UniversalClient, string, error) {
	if len(cfg.Cluster) == 0 {
		opt, err := redis.ParseURL(cfg.URL)
		if err != nil {
			return nil, "", fmt.Errorf("parse redis url: %w", err)
		}
		return redis.NewClient(opt), opt.Addr, nil
	}
	if cfg.URL != "" {
		return nil, "", errors.New("redis: give a URL (one Redis) or cluster nodes, not both")
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: cfg.Cluster}),
		"cluster " + strings.Join(cfg.Cluster, ","), nil
}

// checkClusterVersion refuses a cluster with a master older than Redis 7,
// which has no sharded pub/sub.
func checkClusterVersion(ctx context.Context, c *redis.ClusterClient) error {
	return c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		info, err := node.Info(ctx, "server").Result()
		if err != nil {
			return fmt.Errorf("redis version: %w", err)
		}
		_, v, _ := strings.Cut(info, "redis_version:")
		v, _, _ = strings.Cut(v, "\r\n")
		major, _, _ := strings.Cut(v, ".")
		if n, err := strconv.Atoi(major); err != nil || n < 7 {
			return fmt.Errorf("redis node %s: version %q, want 7.0 or later for sharded pub/sub", node.Options().Addr, v)
		}
		return nil
	})
}

// clusterMemory is the used_memory and maxmemory of the cluster's fullest
// master: by share of its limit, or by bytes when none has a limit.
func clusterMemory(ctx context.Context, c *redis.ClusterClient) (used, limit int64, err error) {
	type reading struct{ used, limit int64 }
	readings := make(chan reading, redisClusterSlots) // never more masters than slots
	err = c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		u, l, err := redisMemory(ctx, node)
		if err == nil {
			readings <- reading{u, l}
		}
		return err
	})
	close(readings)
	if err != nil {
		return 0, 0, err
	}
	fuller := func(r, than reading) bool {
		switch {
		case r.limit > 0 && than.limit > 0:
			return float64(r.used)/float64(r.limit) > float64(than.used)/float64(than.limit)
		case r.limit > 0 || than.limit > 0:
			return r.limit > 0 // a limit that can be reached comes first
		}
		return r.used > than.used
	}
	var top reading
	for r := range readings {
		if fuller(r, top) {
			top = r
		}
	}
	return top.used, top.limit, nil
}

// redisSlot is the cluster slot of a key or shard channel, as CLUSTER
// KEYSLOT gives it: CRC16 of its hash tag, or of the whole key when it has
// none.
func redisSlot(key string) int {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if end := strings.IndexByte(key[open+1:], '}'); end > 0 {
			key = key[open+1 : open+1+end]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % redisClusterSlots
}
