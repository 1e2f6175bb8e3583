package hub

import "sync"

// queueMin is the smallest a queue's ring is once something was put in
// it: a room that is used keeps this much, and no more while idle.
const queueMin = 8

// queue is a bounded first-in, first-out queue with one consumer, used
// where a buffered channel of the same capacity would do but would hold
// its whole buffer for as long as it lives: its ring grows as items
// arrive, up to limit, and shrinks back as they are taken, so an idle room
// holds a few slots instead of hundreds of kilobytes.
//
// The consumer waits for ready and then takes one item; producers either
// offer (never waiting) or put (waiting while the queue is full).
type queue[T any] struct {
	// set at construction
	limit int
	ready chan struct{} // capacity 1: there may be something to take
	space chan struct{} // capacity 1: a full queue was taken from; put may retry

	mu   sync.Mutex // guards ring, head and n
	ring []T        // items are ring[head], ring[head+1], ... wrapping around
	head int
	n    int
}

func newQueue[T any](limit int) *queue[T] {
	return &queue[T]{limit: limit, ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// offer adds v unless the queue is full, without waiting.
func (q *queue[T]) offer(v T) bool {
	q.mu.Lock()
	if q.n >= q.limit {
		q.mu.Unlock()
		return false
	}
	q.add(v)
	q.mu.Unlock()
	signal(q.ready)
	return true
}

// put adds v, waiting while the queue is full; false if stop or cancel
// (nil for none) closed first.
func (q *queue[T]) put(v T, stop, cancel <-chan struct{}) bool {
	for {
		q.mu.Lock()
		if q.n < q.limit {
			q.add(v)
			more := q.n < q.limit
			q.mu.Unlock()
			if more {
				signal(q.space) // pass the turn on to the next one waiting
			}
			signal(q.ready)
			return true
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-stop:
			return false
		case <-cancel:
			return false
		}
	}
}

// take removes the oldest item, if any. It is for the consumer alone,
// after ready: when more remain, ready is signalled again.
func (q *queue[T]) take() (T, bool) {
	var zero T
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return zero, false
	}
	wasFull := q.n >= q.limit
	v := q.ring[q.head]
	q.ring[q.head] = zero
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	if len(q.ring) > queueMin && q.n <= len(q.ring)/4 {
		q.resize(max(len(q.ring)/2, queueMin))
	}
	more := q.n > 0
	q.mu.Unlock()
	if wasFull {
		signal(q.space)
	}
	if more {
		signal(q.ready)
	}
	return v, true
}

// add appends v, growing the ring if it is full. q.mu must be held.
func (q *queue[T]) add(v T) {
	if q.n == len(q.ring) {
		q.resize(min(max(2*len(q.ring), queueMin), q.limit))
	}
	q.ring[(q.head+q.n)%len(q.ring)] = v
	q.n++
}

// resize moves the items into a ring of size c. q.mu must be held.
func (q *queue[T]) resize(c int) {
	ring := make([]T, c)
	k := copy(ring, q.ring[q.head:min(q.head+q.n, len(q.ring))])
	copy(ring[k:], q.ring[:q.n-k])
	q.ring, q.head = ring, 0
}

// signal wakes whoever waits on c, a channel of capacity 1, without
// waiting: a wake-up already pending covers this one too.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
