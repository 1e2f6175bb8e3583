package client

import (
	"fmt"
	"testing"
	"time"
)

// TestBucket: a full bucket gives burst tokens at once, then one per
// 1/rate seconds, and never holds more than burst.
func TestBucket(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	b := newBucket(opRate, opBurst)
	for i := range opBurst {
		if !b.take(t0) {
			t.Fatalf("take %d of a full bucket: refused, want the burst of %d", i, opBurst)
		}
	}
	tick := time.Second / opRate // one token's worth
	steps := []struct {
		after time.Duration
		want  bool
	}{
		{0, false},        // burst spent
		{tick / 2, false}, // half a token
		{tick / 2, true},  // the other half: one token
		{0, false},        // spent
		{2 * tick, true},  // two tokens: one now...
		{0, true},         // ...and one left
		{0, false},
	}
	for i, s := range steps {
		if got := b.take(t0.Add(s.after)); got != s.want {
			t.Fatalf("step %d (%v after the burst): got %v, want %v", i, s.after, got, s.want)
		}
		t0 = t0.Add(s.after)
	}
	t1 := t0.Add(time.Hour)
	n := 0
	for b.take(t1) {
		n++
	}
	if n != opBurst {
		t.Fatalf("after an hour of rest: %d tokens, want the burst of %d, never more", n, opBurst)
	}
}

// TestLimiterKeysAreIndependent: one key's burst does not spend another's.
func TestLimiterKeysAreIndependent(t *testing.T) {
	l := NewLimiter(0.001, 3)
	for i := range 3 {
		if !l.Allow("10.0.0.1") {
			t.Fatalf("allow %d of a burst of 3: refused", i)
		}
	}
	if l.Allow("10.0.0.1") {
		t.Fatal("allow 4 of a burst of 3: allowed, want refused")
	}
	if !l.Allow("10.0.0.2") {
		t.Fatal("another key: refused, want its own burst")
	}
}

// TestLimiterMemoryIsBounded: many addresses at once, none of whose
// buckets refill in time, do not grow the limiter past maxKeys.
func TestLimiterMemoryIsBounded(t *testing.T) {
	l := NewLimiter(0.001, 3)
	for i := range maxKeys * 2 {
		l.Allow(fmt.Sprint("key ", i))
		if n := len(l.buckets); n > maxKeys {
			t.Fatalf("after %d keys: %d remembered, want at most %d", i+1, n, maxKeys)
		}
	}
	if !l.Allow("fresh") || len(l.buckets) == 0 {
		t.Fatal("a new key after eviction: refused, want its burst")
	}
}

// TestLimiterForgetsRefilledFirst: when full, keys whose buckets have
// refilled go before any others, so a busy key keeps its limit.
func TestLimiterForgetsRefilledFirst(t *testing.T) {
	l := NewLimiter(0.001, 3)
	for range 3 {
		l.Allow("busy")
	}
	for i := range maxKeys - 1 {
		l.buckets[fmt.Sprint("idle ", i)] = &bucket{rate: 0.001, burst: 3, tokens: 3}
	}
	l.Allow("newcomer")
	if l.Allow("busy") {
		t.Fatal("the busy key got a token back when the limiter made room, want its bucket kept")
	}
	if len(l.buckets) != 2 {
		t.Fatalf("remembered %d keys, want 2 (busy and newcomer): refilled ones go", len(l.buckets))
	}
}
