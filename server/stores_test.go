package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub"
)

// testRedisURL is the Redis the tests use; fault tests start their own.
const testRedisURL = "redis://127.0.0.1:6379/0"

// needRedis returns the test Redis URL, or skips the test when Redis does
// not answer (on a laptop) and fails it under CI.
func needRedis(t *testing.T) string {
	t.Helper()
	opt, _ := redis.ParseURL(testRedisURL)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis not reachable at %s, and CI needs it: %v", testRedisURL, err)
		}
		t.Skipf("redis not reachable at %s (start redis-server to run this): %v", testRedisURL, err)
	}
	return testRedisURL
}

// openRedisStore opens one Redis store, as one instance would.
func openRedisStore(t *testing.T, url string) hub.Store {
	t.Helper()
	s, err := hub.OpenRedis(context.Background(), hub.RedisConfig{URL: url}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eachStore runs a test once on the embedded store and once in Redis
// mode; newServer starts another server (another instance) on the same
// store's data.
func eachStore(t *testing.T, test func(t *testing.T, newServer func(t *testing.T) *testServer)) {
	t.Run("embedded", func(t *testing.T) {
		store, err := hub.OpenEmbedded(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		test(t, func(t *testing.T) *testServer { return newTestServer(t, store) })
	})
	t.Run("redis", func(t *testing.T) {
		url := needRedis(t)
		test(t, func(t *testing.T) *testServer { return newTestServer(t, openRedisStore(t, url)) })
	})
}
