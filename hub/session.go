package hub

import "github.com/withboard/withboard/hub/board"

// Session is one connection's membership of a room: how it sends ops and
// leaves. Its fields are set when it joins and never change.
type Session struct {
	room   *Room
	member Member
	you    You
	// presenceDelta: presence frames with only what changed (see sendPresence).
	presenceDelta bool
}

// WorkshopID names the session's workshop, for logs.
func (s *Session) WorkshopID() string { return s.room.w.ID }

// You returns who this session's participant is.
func (s *Session) You() You { return s.you }

// isWall says whether the session is a shared screen's, which is no one.
func (s *Session) isWall() bool { return s.you.Role == board.RoleWall }

func (s *Session) viewer() board.Viewer { return board.Viewer{ID: s.you.ID, Role: s.you.Role} }

// Submit hands an op to the room. The answer (ack or nack) and the
// broadcast arrive through the member. It waits while the room's inbox is
// full, which slows a flooding connection without stalling the room. A
// re-send of an op accepted more than keepOps versions ago may be applied
// again: SubmitBase avoids that.
func (s *Session) Submit(id string, op board.Op) {
	s.SubmitBase(id, op, -1)
}

// SubmitBase is Submit for an op made on the board at version base (-1
// when not known). An op accepted before was accepted above its base, so
// when base is older than the op ids the store is sure to keep, the room
// answers from the index alone: the original ack if it holds the id, and
// otherwise a refusal, since it cannot tell a new op from a forgotten one.
func (s *Session) SubmitBase(id string, op board.Op, base int64) {
	s.room.post(opReq{s: s, id: id, op: op, base: max(base, -1)}, nil)
}

// Leave takes the connection out of the room.
func (s *Session) Leave() {
	s.room.post(leaveReq{s: s}, nil)
}
