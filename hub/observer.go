package hub

import "time"

// Observer is told what the hub does, for metrics. Its methods are called
// from room goroutines and must not block.
type Observer interface {
	// OpDone is called for every op answered: code is "" when accepted.
	OpDone(code string)
	// FanOut is called after an op was sent to members (written or queued).
	FanOut(d time.Duration, members int)
	// StoreCall is called after every store call a room makes.
	StoreCall(name string, d time.Duration, err error)
	// SlowConsumer is called when a member is dropped for falling behind.
	SlowConsumer()
	// GapFilled is called when a room caught up from the log or reloaded.
	GapFilled(reloaded bool)
	// Joined is called after a room answered a join: d is from the room
	// taking the request to the welcome (or the refusal) being queued.
	Joined(d time.Duration)
}

// nopObserver is the Observer of a hub configured without one.
type nopObserver struct{}

func (nopObserver) OpDone(string)                          {}
func (nopObserver) FanOut(time.Duration, int)              {}
func (nopObserver) StoreCall(string, time.Duration, error) {}
func (nopObserver) SlowConsumer()                          {}
func (nopObserver) GapFilled(bool)                         {}
func (nopObserver) Joined(time.Duration)                   {}
