package hub

import (
	"errors"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// maxGroup bounds how many writes share one transaction.
const maxGroup = 2000

// errStoreClosed answers writes made after Close.
var errStoreClosed = errors.New("store closed")

// committer commits writes from many goroutines in groups: while one
// transaction is written and fsynced, the writes that arrive queue up, and
// they are then committed together in the next. A lone write never waits
// for company, and under load each fsync is shared by every room that
// wrote during the one before.
type committer struct {
	db *boltFile

	mu     sync.Mutex
	queue  []*write
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

// write is one caller's function and, once committed, its result. The
// function may run more than once (when another write in its group fails
// and the group is run again), so it must derive everything from the
// transaction.
type write struct {
	fn   func(*bolt.Tx) error
	err  error
	done chan struct{}
}

func newCommitter(db *boltFile) *committer {
	c := &committer{db: db, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c
}

// do commits fn, with whatever other writes are waiting, and returns fn's
// error or the commit's.
func (c *committer) do(fn func(*bolt.Tx) error) error {
	w := &write{fn: fn, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errStoreClosed
	}
	c.queue = append(c.queue, w)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	<-w.done
	return w.err
}

// close commits what is queued and stops the loop.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	for range c.wake {
		for {
			c.mu.Lock()
			n := min(len(c.queue), maxGroup)
			group := c.queue[:n:n]
			c.queue = c.queue[n:]
			if len(c.queue) == 0 {
				c.queue = nil
			}
			closed := c.closed && n == 0
			c.mu.Unlock()
			if closed {
				return
			}
			if n == 0 {
				break
			}
			c.commit(group)
		}
	}
}

// commit runs a group in one transaction. When a write fails, the group is
// rolled back, that write gets its error, and the rest are run again.
func (c *committer) commit(group []*write) {
	for len(group) > 0 {
		failed := -1
		var failure error
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, w := range group {
				if err := w.fn(tx); err != nil {
					failed, failure = i, err
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			group[failed].err = failure
			close(group[failed].done)
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		for _, w := range group {
			w.err = err
			close(w.done)
		}
		return
	}
}
