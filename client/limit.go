package client

import (
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

// maxKeys bounds how many keys a Limiter remembers; past it, keys whose
// buckets have refilled are forgotten, and if that is not enough (many
// addresses at once), any keys, so that memory stays bounded.
const maxKeys = 10000

// Limiter is a token bucket per key (a client's address), safe for
// concurrent use.
type Limiter struct {
	rate, burst float64

	mu      sync.Mutex // guards buckets
	buckets map[string]*bucket
}

// NewLimiter allows each key rate events a second, in bursts of up to burst.
func NewLimiter(rate, burst float64) *Limiter {
	return &Limiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

// Allow spends one of key's tokens, reporting whether it had one.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxKeys {
			l.forget(now)
		}
		b = newBucket(l.rate, l.burst)
		l.buckets[key] = b
	}
	return b.take(now)
}

// forget drops the buckets that have refilled: they hold no memory worth
// keeping. If too few have, it drops others until a tenth of maxKeys is
// free, so that the next scan is that many new keys away.
func (l *Limiter) forget(now time.Time) {
	for k, b := range l.buckets {
		if b.refill(now); b.tokens >= b.burst {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < maxKeys-maxKeys/10 {
			break
		}
		delete(l.buckets, k)
	}
}
