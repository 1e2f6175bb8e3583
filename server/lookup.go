package main

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/withboard/withboard/client"
	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// Limits on looking up workshops that do not exist, per client address. A
// mistyped code now and then costs nothing; past the burst, a miss every
// missEvery. There are 31^6 (about 887 million) codes: with a thousand
// workshops on a server, one address takes about 100 days, longer than a
// workshop is kept, to hit one by guessing.
const (
	missEvery = 10 * time.Second
	missBurst = 100
)

// newMissLimiter is the per-address budget of lookups and joins of
// workshops that do not exist.
func newMissLimiter() *client.Limiter {
	return client.NewLimiter(float64(time.Second)/float64(missEvery), missBurst)
}

// errGuessing is a lookup refused because its address tried too many
// workshops that do not exist.
type errGuessing struct{ wait time.Duration }

func (e *errGuessing) Error() string {
	return fmt.Sprintf("too many lookups of unknown workshops; next in %v", e.wait)
}

// retryAfter is the Retry-After value of the refusal, in whole seconds.
func (e *errGuessing) retryAfter() string {
	return strconv.Itoa(int(math.Ceil(e.wait.Seconds())))
}

// guessingMessage is what a refused lookup tells the person, as a refused
// WebSocket join does.
const guessingMessage = client.GuessingMessage

// lookup finds the workshop ref names (id or code) for r's client. An
// address that has used up its misses is refused before anything is
// looked up, hit or not, so that a guess answers nothing; a miss spends
// one.
func (a *api) lookup(r *http.Request, ref string) (board.Workshop, error) {
	who := a.cfg.clientAddr(r)
	if wait := a.misses.Wait(who); wait > 0 {
		return board.Workshop{}, &errGuessing{wait}
	}
	ws, err := a.hub.Workshop(r.Context(), ref)
	if errors.Is(err, hub.ErrNotFound) {
		a.misses.Allow(who)
	}
	return ws, err
}

// noticeGuessing is the page for a refused lookup.
var noticeGuessing = notice{
	Heading:  "Too many codes were tried",
	Message:  guessingMessage,
	Link:     "/",
	LinkText: "Go to the start page",
}
