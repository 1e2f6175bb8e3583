package hub

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// ringLen is how many slots q holds now.
func ringLen[T any](q *queue[T]) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ring)
}

// TestQueueKeepsOrder: whatever the mix of adds and takes, through growing,
// wrapping around and shrinking, items come out in the order they went in.
func TestQueueKeepsOrder(t *testing.T) {
	for _, limit := range []int{1, 3, queueMin, 100, 1024} {
		q := newQueue[int](limit)
		rng := rand.New(rand.NewPCG(1, uint64(limit)))
		var want []int
		next := 0
		for range 20000 {
			if rng.IntN(2) == 0 {
				ok := q.offer(next)
				if full := len(want) >= limit; ok == full {
					t.Fatalf("limit %d: offer with %d queued: got %v, want %v", limit, len(want), ok, !full)
				}
				if ok {
					want = append(want, next)
				}
				next++
				continue
			}
			got, ok := q.take()
			if ok != (len(want) > 0) {
				t.Fatalf("limit %d: take with %d queued: got ok %v", limit, len(want), ok)
			}
			if ok {
				if got != want[0] {
					t.Fatalf("limit %d: took %d, want %d", limit, got, want[0])
				}
				want = want[1:]
			}
		}
	}
}

// TestQueueBoundsAndShrinks: a queue grows no further than its limit,
// refuses an offer when full, and gives its memory back as it empties.
func TestQueueBoundsAndShrinks(t *testing.T) {
	q := newQueue[board.Entry](newsSize)
	if n := ringLen(q); n != 0 {
		t.Fatalf("new queue holds %d slots, want 0", n)
	}
	for i := range newsSize {
		if !q.offer(board.Entry{V: int64(i)}) {
			t.Fatalf("offer %d refused, want room for %d", i, newsSize)
		}
	}
	if q.offer(board.Entry{}) {
		t.Fatalf("offer to a full queue accepted, want refused")
	}
	if n := ringLen(q); n != newsSize {
		t.Fatalf("full queue holds %d slots, want %d", n, newsSize)
	}
	for i := range newsSize {
		e, ok := q.take()
		if !ok || e.V != int64(i) {
			t.Fatalf("take %d: got %d %v, want %d true", i, e.V, ok, i)
		}
	}
	if _, ok := q.take(); ok {
		t.Fatal("take from an empty queue: got an item")
	}
	if n := ringLen(q); n != queueMin {
		t.Fatalf("emptied queue holds %d slots, want %d", n, queueMin)
	}
}

// TestQueuePutWaitsWhileFull: put waits for room and gives up when told to.
func TestQueuePutWaitsWhileFull(t *testing.T) {
	q := newQueue[int](2)
	q.offer(1)
	q.offer(2)
	stop, cancel := make(chan struct{}), make(chan struct{})
	put := make(chan bool)
	go func() { put <- q.put(3, stop, nil) }()
	select {
	case <-put:
		t.Fatal("put to a full queue returned, want it to wait")
	case <-time.After(50 * time.Millisecond):
	}
	if v, _ := q.take(); v != 1 {
		t.Fatalf("took %d, want 1", v)
	}
	if ok := <-put; !ok {
		t.Fatal("put after a take: got false, want true")
	}
	for _, c := range []chan struct{}{stop, cancel} {
		go func() { put <- q.put(4, stop, cancel) }()
		close(c)
		if ok := <-put; ok {
			t.Fatal("put to a full queue after stop or cancel: got true, want false")
		}
	}
	for _, want := range []int{2, 3} {
		if v, ok := q.take(); !ok || v != want {
			t.Fatalf("took %d %v, want %d true", v, ok, want)
		}
	}
}

// TestQueueManyProducers: producers that wait on a small queue, and a
// consumer that waits on ready, lose no item and no wake-up, and each
// producer's items arrive in its order.
func TestQueueManyProducers(t *testing.T) {
	const producers, each = 16, 2000
	q := newQueue[[2]int](3)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if !q.put([2]int{p, i}, nil, nil) {
					t.Error("put gave up with no stop or cancel")
					return
				}
			}
		}()
	}
	next := make([]int, producers)
	timeout := time.After(20 * time.Second)
	for got := 0; got < producers*each; {
		select {
		case <-q.ready:
		case <-timeout:
			t.Fatalf("got %d items, want %d: a wake-up was lost", got, producers*each)
		}
		v, ok := q.take()
		if !ok {
			continue
		}
		if v[1] != next[v[0]] {
			t.Fatalf("producer %d: got item %d, want %d", v[0], v[1], next[v[0]])
		}
		next[v[0]]++
		got++
	}
	wg.Wait()
}

// TestRoomQueues: a room's news holds newsSize entries and then asks the
// room to catch up from the store instead; its inbox holds inboxSize
// requests and then makes senders wait, until the room ends.
func TestRoomQueues(t *testing.T) {
	h := &Hub{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r := newRoom(h, board.Workshop{ID: "w"})
	for v := range newsSize {
		r.onNews(board.Entry{V: int64(v + 1)})
	}
	select {
	case <-r.stale:
		t.Fatalf("stale with %d entries waiting, want room for %d", newsSize, newsSize)
	default:
	}
	r.onNews(board.Entry{V: newsSize + 1})
	select {
	case <-r.stale:
	default:
		t.Fatal("an entry past newsSize did not mark the room stale")
	}
	for v := range newsSize {
		if e, ok := r.news.take(); !ok || e.V != int64(v+1) {
			t.Fatalf("news %d: got %d %v, want %d true", v, e.V, ok, v+1)
		}
	}

	for i := range inboxSize {
		if !r.post(leaveReq{}, nil) {
			t.Fatalf("post %d refused, want room for %d", i, inboxSize)
		}
	}
	posted := make(chan bool)
	go func() { posted <- r.post(leaveReq{}, nil) }()
	select {
	case <-posted:
		t.Fatalf("post to a full inbox returned, want it to wait")
	case <-time.After(50 * time.Millisecond):
	}
	close(r.done)
	if <-posted {
		t.Fatal("post to a full inbox of an ended room: got true, want false")
	}
}
