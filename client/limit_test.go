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

// TestLimiterKeepsBusyKeys: when full, the limiter forgets the least
// recently used key, so a key in use keeps its spent bucket however many
// new keys arrive, and a key no one used for that long starts afresh.
func TestLimiterKeepsBusyKeys(t *testing.T) {
	l := NewLimiter(0.001, 3)
	for _, key := range []string{"busy", "idle"} {
		for range 3 {
			l.Allow(key)
		}
	}
	for i := range maxKeys * 3 {
		l.Allow(fmt.Sprint("newcomer ", i))
		if i%100 == 0 && l.Allow("busy") {
			t.Fatalf("after %d newcomers: the busy key got a token back, want its spent bucket kept", i+1)
		}
	}
	if !l.Allow("idle") {
		t.Fatal("a key unused while the limiter filled three times over: refused, want it forgotten and a new burst")
	}
	if n := len(l.buckets); n != maxKeys || l.recent.Len() != maxKeys {
		t.Fatalf("remembered %d keys (%d in use order), want %d", n, l.recent.Len(), maxKeys)
	}
}

// TestLimiterWait: Wait spends nothing, is 0 while a token is there and
// otherwise about the time until the next one.
func TestLimiterWait(t *testing.T) {
	l := NewLimiter(0.1, 2) // a token every 10 s
	if got := l.Wait("a"); got != 0 {
		t.Fatalf("a key never seen: waits %v, want 0", got)
	}
	l.Allow("a")
	for range 3 {
		if got := l.Wait("a"); got != 0 {
			t.Fatalf("one token left: waits %v, want 0 (and Wait spends none)", got)
		}
	}
	l.Allow("a")
	if got := l.Wait("a"); got < 9*time.Second || got > 10*time.Second {
		t.Fatalf("bucket empty: waits %v, want about 10s", got)
	}
}
