package client

import (
	"container/list"
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens a second, up to burst.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newBucket(rate, burst float64) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst}
}

// refill adds the tokens earned since the last call.
func (b *bucket) refill(now time.Time) {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
}

// take spends one token if there is one.
func (b *bucket) take(now time.Time) bool {
	b.refill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// maxKeys bounds how many keys a Limiter remembers; past it, the least
// recently used key is forgotten, so that memory stays bounded while the
// keys in use (an address that is busy right now) keep their buckets.
const maxKeys = 10000

// Limiter is a token bucket per key (a client's address), safe for
// concurrent use.
type Limiter struct {
	rate, burst float64

	mu      sync.Mutex // guards buckets and recent
	buckets map[string]*list.Element
	recent  list.List // of *entry, most recently used first
}

// entry is a key's bucket as the Limiter keeps it.
type entry struct {
	key string
	b   *bucket
}

// NewLimiter allows each key rate events a second, in bursts of up to burst.
func NewLimiter(rate, burst float64) *Limiter {
	return &Limiter{rate: rate, burst: burst, buckets: map[string]*list.Element{}}
}

// Allow spends one of key's tokens, reporting whether it had one.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bucket(key).take(time.Now())
}

// Wait is how long key has to wait for its next token: 0 when it has one
// now. It spends nothing, so a caller can refuse a request before doing
// the work whose outcome decides whether to spend (see Allow).
func (l *Limiter) Wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.buckets[key]
	if e == nil {
		return 0 // a full bucket, not worth remembering yet
	}
	l.recent.MoveToFront(e)
	b := e.Value.(*entry).b
	b.refill(time.Now())
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// bucket returns key's bucket, marking it the most recently used, and
// makes one, forgetting the least recently used key if there is no room.
func (l *Limiter) bucket(key string) *bucket {
	if e := l.buckets[key]; e != nil {
		l.recent.MoveToFront(e)
		return e.Value.(*entry).b
	}
	if len(l.buckets) >= maxKeys {
		oldest := l.recent.Back()
		l.recent.Remove(oldest)
		delete(l.buckets, oldest.Value.(*entry).key)
	}
	b := newBucket(l.rate, l.burst)
	l.buckets[key] = l.recent.PushFront(&entry{key: key, b: b})
	return b
}
