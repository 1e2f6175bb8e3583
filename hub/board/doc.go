// Package board is Withboard's model of a workshop, with no I/O: the board
// of stages by levels and its cards, the op kinds and who may send them,
// how an op is checked (Prepare) and applied (Apply), what each recipient
// may see of the board and of every op (views and redaction), the JSON of
// ops and log entries, text checks, and the record an export is made from.
//
// It imports nothing of this module and nothing of the network, stores or
// sockets, so that every rule can be tested as a plain function and every
// replica of a board, on any instance, ends in the same state.
package board
