package hub

import (
	"encoding/json"
	"strconv"

	"github.com/withboard/withboard/hub/board"
)

// Frames the server sends, as the contract names them. Each is encoded once
// and the same bytes go to every recipient that may see them.

// You is the joiner's own identity, sent in welcome.
type You struct {
	ID    string     `json:"id"`
	Name  string     `json:"name"`
	Role  board.Role `json:"role"`
	Token string     `json:"token"`
}

// wallYou is a wall's identity in its welcome: a role, and no one.
type wallYou struct {
	Role board.Role `json:"role"`
}

type welcomeFrame struct {
	T      string           `json:"t"`
	You    any              `json:"you"` // You, or wallYou
	Epoch  string           `json:"epoch"`
	V      int64            `json:"v"`
	LastID string           `json:"lastId,omitempty"` // the op id at V
	Board  *board.BoardView `json:"board,omitempty"`
	Ops    []board.OpView   `json:"ops,omitempty"`
}

type nackFrame struct {
	T       string `json:"t"`
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type presenceFrame struct {
	T      string         `json:"t"`
	People []board.Person `json:"people"`
}

type errorFrame struct {
	T       string `json:"t"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type byeFrame struct {
	T      string `json:"t"`
	Reason string `json:"reason"`
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Every frame is made of plain structs; failing here is a bug.
		panic("hub: encode frame: " + err.Error())
	}
	return b
}

// AckFrame encodes an ack, one per op, by hand (see json.go).
func AckFrame(id string, v int64) []byte {
	b := board.AppendJSONString(append(make([]byte, 0, 64), `{"t":"ack","id":`...), id)
	return append(strconv.AppendInt(append(b, `,"v":`...), v, 10), '}')
}

// NackFrame encodes a nack for op id.
func NackFrame(id string, err *board.Error) []byte {
	return encode(nackFrame{"nack", id, err.Code, err.Message})
}

// ErrorFrame encodes an error; the server closes the connection after it.
func ErrorFrame(err *board.Error) []byte { return encode(errorFrame{"error", err.Code, err.Message}) }

// ByeFrame encodes a bye: the client should reconnect, to any instance.
func ByeFrame(reason string) []byte { return encode(byeFrame{"bye", reason}) }

func presenceFrameOf(people []board.Person) []byte { return encode(presenceFrame{"presence", people}) }

// presenceDelta is a presence frame with only what changed since the last.
type presenceDelta struct {
	T       string         `json:"t"`
	Changed []board.Person `json:"changed"`
	Gone    []string       `json:"gone"`
}

// presenceDeltaOf encodes what changed from was to now (both in list
// order), or nil when nothing did.
func presenceDeltaOf(was, now []board.Person) []byte {
	before := make(map[string]board.Person, len(was))
	for _, p := range was {
		before[p.ID] = p
	}
	d := presenceDelta{T: "presence", Changed: []board.Person{}, Gone: []string{}}
	for _, p := range now {
		if old, ok := before[p.ID]; !ok || old != p {
			d.Changed = append(d.Changed, p)
		}
		delete(before, p.ID)
	}
	for _, p := range was {
		if _, ok := before[p.ID]; ok {
			d.Gone = append(d.Gone, p.ID)
		}
	}
	if len(d.Changed) == 0 && len(d.Gone) == 0 {
		return nil
	}
	return encode(d)
}
