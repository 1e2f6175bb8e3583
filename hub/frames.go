package hub

import (
	"encoding/json"
	"strconv"
	"time"
)

// Frames the server sends, as the contract names them. Each is encoded once
// and the same bytes go to every recipient that may see them.

// You is the joiner's own identity, sent in welcome.
type You struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	Token string `json:"token"`
}

// OpView is an accepted op as one recipient receives it, in an op frame or
// in welcome.ops.
type OpView struct {
	T        string     `json:"t,omitempty"`
	V        int64      `json:"v"`
	ID       string     `json:"id"`
	By       string     `json:"by"`
	ByRole   Role       `json:"byRole"`
	At       time.Time  `json:"at"`
	Op       Op         `json:"op"`
	Revealed []CardView `json:"revealed,omitempty"`
}

type welcomeFrame struct {
	T     string     `json:"t"`
	You   You        `json:"you"`
	Epoch string     `json:"epoch"`
	V     int64      `json:"v"`
	Board *BoardView `json:"board,omitempty"`
	Ops   []OpView   `json:"ops,omitempty"`
}

type nackFrame struct {
	T       string `json:"t"`
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type presenceFrame struct {
	T      string   `json:"t"`
	People []Person `json:"people"`
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
	b := appendJSONString(append(make([]byte, 0, 64), `{"t":"ack","id":`...), id)
	return append(strconv.AppendInt(append(b, `,"v":`...), v, 10), '}')
}

// opFrame encodes an op frame, by hand (see json.go).
func opFrame(v OpView) []byte {
	v.T = "op"
	return v.appendJSON(make([]byte, 0, jsonSizeHint(v.ID, v.By, &v.Op)))
}

// NackFrame encodes a nack for op id.
func NackFrame(id string, err *Error) []byte {
	return encode(nackFrame{"nack", id, err.Code, err.Message})
}

// ErrorFrame encodes an error; the server closes the connection after it.
func ErrorFrame(err *Error) []byte { return encode(errorFrame{"error", err.Code, err.Message}) }

// ByeFrame encodes a bye: the client should reconnect, to any instance.
func ByeFrame(reason string) []byte { return encode(byeFrame{"bye", reason}) }

func presenceFrameOf(people []Person) []byte { return encode(presenceFrame{"presence", people}) }

// visibleTo says whether viewer may read the text an entry carries.
func (e *Entry) visibleTo(viewer Viewer) bool {
	if !e.Private || viewer.Role == RoleFacilitator || viewer.ID == e.Owner {
		return true
	}
	return e.Op.Kind != KindCardAdd && e.Op.Kind != KindCardEdit
}

// View returns the entry as viewer receives it, text hidden where the
// phase hid it when the op was accepted.
func (e *Entry) View(viewer Viewer) OpView {
	op := e.Op
	if !e.visibleTo(viewer) {
		op.hidden = true
	}
	return OpView{V: e.V, ID: e.ID, By: e.By, ByRole: e.ByRole, At: e.At, Op: op}
}
