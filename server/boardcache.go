package main

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// The workshop lookup and the summary page are read by anyone with a
// code, as often as they like; loading a board for each would let them
// spend the server's CPU at will. They are served from what was last read
// of the board instead, as long as the log's head has not moved.
const (
	// boardCacheSize bounds the workshops whose facts are kept.
	boardCacheSize = 512
	// summaryFresh is how long a rendered summary is served at one head:
	// who took part can change without a new version.
	summaryFresh = 30 * time.Second
)

// facts is what the cheap reads need of a board, read at head.
type facts struct {
	head  hub.Head
	phase board.Phase
	// summary is the rendered summary page of a closed workshop, made at
	// summaryAt; nil until someone asks.
	summary   []byte
	summaryAt time.Time
}

// boardCache keeps the facts of recently read workshops, forgetting the
// least recently used past boardCacheSize. Safe for concurrent use.
type boardCache struct {
	hub *hub.Hub // set at construction

	mu    sync.Mutex // guards byID and order
	byID  map[string]*list.Element
	order list.List // of *cached, most recently used first
}

type cached struct {
	id string
	f  facts
}

func newBoardCache(h *hub.Hub) *boardCache {
	return &boardCache{hub: h, byID: map[string]*list.Element{}}
}

// facts returns workshop ws's facts as of now: the cached ones if its
// head has not moved, else read from its board. The head is read first,
// so the facts are never older than the head they are kept under.
func (c *boardCache) facts(ctx context.Context, ws board.Workshop) (facts, error) {
	head, err := c.hub.Head(ctx, ws.ID)
	if err != nil {
		return facts{}, err
	}
	if f, ok := c.get(ws.ID); ok && f.head == head {
		return f, nil
	}
	phase, err := c.hub.Phase(ctx, ws)
	if err != nil {
		return facts{}, err
	}
	f := facts{head: head, phase: phase}
	c.put(ws.ID, f)
	return f, nil
}

// get returns the facts kept of workshop id.
func (c *boardCache) get(id string) (facts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byID[id]
	if e == nil {
		return facts{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached).f, true
}

// put keeps f as workshop id's facts, unless newer ones are kept already.
func (c *boardCache) put(id string, f facts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[id]; e != nil {
		old := e.Value.(*cached)
		if old.f.head.Epoch == f.head.Epoch && old.f.head.V > f.head.V {
			return
		}
		old.f = f
		c.order.MoveToFront(e)
		return
	}
	if len(c.byID) >= boardCacheSize {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byID, oldest.Value.(*cached).id)
	}
	c.byID[id] = c.order.PushFront(&cached{id: id, f: f})
}

// forget drops what is kept of workshop id, as it is deleted.
func (c *boardCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[id]; e != nil {
		c.order.Remove(e)
		delete(c.byID, id)
	}
}
