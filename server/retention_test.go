package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub"
)

// TestRetention: a workshop nobody uses for the retention time is deleted
// with every trace, and its people are told; one in use is kept.
func TestRetention(t *testing.T) {
	t.Parallel()
	// Short enough for a quick test; a live room renews its workshop every
	// retention/4, so there is room for a slow scheduler before it lapses.
	const retention = 800 * time.Millisecond
	cfg := hub.Config{Retention: retention, IdleTimeout: 100 * time.Millisecond}
	gone := func(t *testing.T, srv *testServer, id string) bool {
		res, err := http.Get(srv.URL + "/api/workshops/" + id)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode == http.StatusNotFound
	}
	check := func(t *testing.T, srv *testServer, traces func(id string) int) {
		idle := createWorkshop(t, srv.URL, "Left alone")
		used := createWorkshop(t, srv.URL, "In use")
		c := dial(t, srv.URL)
		c.join(map[string]any{"code": used.Code, "role": "staff"})
		c.ack(c.op(addCard("still wanted", nil, nil)))

		if !waitGone(t, srv, idle.ID) {
			t.Fatal("idle workshop still there well past its retention")
		}
		if n := traces(idle.ID); n != 0 {
			t.Errorf("expired workshop left %d traces in the store", n)
		}
		// The used one, created with the idle one, is touched while its
		// room is live: it stays for a retention more, and longer.
		for until := time.Now().Add(retention); time.Now().Before(until); time.Sleep(50 * time.Millisecond) {
			if gone(t, srv, used.ID) {
				t.Fatal("a workshop in use expired")
			}
		}
		c.ws.Close()
		if !waitGone(t, srv, used.ID) {
			t.Fatal("workshop not deleted after everyone left and its retention passed")
		}
	}
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		store, err := hub.OpenEmbedded(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		srv := newTestServerWith(t, store, cfg)
		check(t, srv, func(id string) int {
			if _, err := store.Head(context.Background(), id); err == nil {
				return 1
			}
			if _, err := store.Participants(context.Background(), id); err == nil {
				return 1
			}
			return 0
		})
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		url := needRedis(t)
		srv := newTestServerWith(t, openRedisStore(t, url), cfg)
		opt, _ := redis.ParseURL(url)
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		check(t, srv, func(id string) int {
			keys, _ := rdb.Keys(context.Background(), "wb:{"+id+"}*").Result()
			return len(keys)
		})
	})
}

// waitGone waits until a workshop answers 404, for up to 20 s.
func waitGone(t *testing.T, srv *testServer, id string) bool {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(srv.URL + "/api/workshops/" + id)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusNotFound {
			return true
		}
	}
	return false
}
