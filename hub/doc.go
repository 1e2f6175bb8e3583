// Package hub serves live workshops: one room per workshop and instance,
// owned by one goroutine, over a store that is the record and the
// sequencer (embedded, for one process, or Redis, for several). The model
// itself, board and rules, is package board.
package hub
