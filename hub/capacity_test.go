package hub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/withboard/withboard/hub/board"
)

// TestMaxLiveRooms: past MaxLiveRooms loaded on this instance, creating a
// workshop is refused as ErrFull and joining one that is not loaded gets
// full; the workshop running keeps serving, and once its room unloads
// there is room again.
func TestMaxLiveRooms(t *testing.T) {
	store := openTestEmbedded(t)
	h := New(store, Config{IdleTimeout: 50 * time.Millisecond, MaxLiveRooms: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	a, _, err := h.CreateWorkshop(t.Context(), "Running")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := h.CreateWorkshop(t.Context(), "Waiting")
	if err != nil {
		t.Fatal(err)
	}
	s, _, _ := joinWelcomed(t, h, a.Code, board.RoleStaff)
	if _, _, err := h.CreateWorkshop(t.Context(), "One too many"); !errors.Is(err, ErrFull) {
		t.Errorf("create past MaxLiveRooms: %v, want ErrFull", err)
	}
	if _, jerr := h.Join(t.Context(), b.Code, JoinRequest{Role: board.RoleStaff}, newInbox()); jerr == nil || jerr.Code != board.CodeFull {
		t.Errorf("join of a workshop not loaded, past MaxLiveRooms: %v, want full", jerr)
	}
	more, _, _ := joinWelcomed(t, h, a.Code, board.RoleServiceUser) // the running one takes more people

	s.Leave()
	more.Leave()
	waitUntil(t, func() bool { return h.LiveRooms() == 0 })
	joinWelcomed(t, h, b.Code, board.RoleStaff)
}

// TestRedisMemoryLimit: with Redis close to its maxmemory, new workshops
// are refused as ErrFull before Redis would refuse writes; the memory is
// reported; raising the limit lets creation through again.
func TestRedisMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis server")
	}
	srv := startRedis(t)
	ctx := t.Context()
	s, err := OpenRedis(ctx, RedisConfig{URL: "redis://" + srv.addr + "/"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	admin := redis.NewClient(&redis.Options{Addr: srv.addr})
	t.Cleanup(func() { admin.Close() })
	h := New(s, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})

	used, limit, ok := h.StoreMemory(ctx)
	if !ok || used <= 0 || limit != 0 {
		t.Fatalf("memory of a Redis with no limit: used %d, limit %d, ok %v", used, limit, ok)
	}
	// A limit just above what it uses: past 90% of it.
	if err := admin.ConfigSet(ctx, "maxmemory", strconv.FormatInt(used+used/20, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	h.memory.at = time.Time{} // read again now
	if _, _, err := h.CreateWorkshop(ctx, "Past the limit"); !errors.Is(err, ErrFull) {
		t.Errorf("create near Redis's maxmemory: %v, want ErrFull", err)
	}
	if err := admin.ConfigSet(ctx, "maxmemory", strconv.FormatInt(used*10, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	h.memory.at = time.Time{}
	if _, _, err := h.CreateWorkshop(ctx, "Room again"); err != nil {
		t.Errorf("create with room under the limit: %v", err)
	}
}
