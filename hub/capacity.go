package hub

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// ErrFull means the server cannot take another workshop just now: this
// instance runs as many as it may, or the store is close to its memory
// limit. Workshops already running keep working.
var ErrFull = errors.New("server full")

// MemoryReporter is a store that can say how much memory it uses and
// where its limit is (0 for none), as Redis can.
type MemoryReporter interface {
	Memory(ctx context.Context) (used, limit int64, err error)
}

// Memory thresholds: past storeFullAt of its limit the store takes no new
// workshops, so that the ones running do not meet a store that refuses
// writes; a reading is reused for memoryEvery.
const (
	storeFullAt = 0.9
	memoryEvery = 5 * time.Second
)

// memoryGauge caches the store's memory reading.
type memoryGauge struct {
	store MemoryReporter

	mu          sync.Mutex // guards the fields below
	at          time.Time
	used, limit int64
	err         error
}

// read returns the store's memory, read at most every memoryEvery.
func (g *memoryGauge) read(ctx context.Context) (used, limit int64, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.at) >= memoryEvery {
		g.used, g.limit, g.err = g.store.Memory(ctx)
		g.at = time.Now()
	}
	return g.used, g.limit, g.err
}

// StoreMemory reports the store's memory use and limit; ok is false when
// the store does not say.
func (h *Hub) StoreMemory(ctx context.Context) (used, limit int64, ok bool) {
	if h.memory == nil {
		return 0, 0, false
	}
	used, limit, err := h.memory.read(ctx)
	return used, limit, err == nil
}

// roomForMore says whether this server can take one more workshop: the
// instance runs fewer than MaxLiveRooms, and the store is not close to
// its memory limit.
func (h *Hub) roomForMore(ctx context.Context) error {
	if h.LiveRooms() >= h.cfg.MaxLiveRooms {
		return ErrFull
	}
	if used, limit, ok := h.StoreMemory(ctx); ok && limit > 0 && float64(used) >= storeFullAt*float64(limit) {
		h.log.Warn("store close to its memory limit: new workshops refused", "used", used, "limit", limit)
		return ErrFull
	}
	return nil
}

// serverFull is the answer to a join that would load a workshop past
// MaxLiveRooms.
func serverFull() *board.Error {
	return board.Refuse(board.CodeFull, "This server is running as many workshops as it can just now. Try again in a few minutes.")
}
