package board

import "time"

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

// opFrame encodes an op frame, by hand (see json.go).
func OpFrame(v OpView) []byte {
	v.T = "op"
	return v.appendJSON(make([]byte, 0, JSONSizeHint(v.ID, v.By, &v.Op)))
}

// VisibleTo says whether viewer may read the text an entry carries.
func (e *Entry) VisibleTo(viewer Viewer) bool {
	if !e.Private || viewer.Role == RoleFacilitator || viewer.ID == e.Owner {
		return true
	}
	return !carriesText(e.Op.Kind)
}

// View returns the entry as viewer receives it, text hidden where the
// phase hid it when the op was accepted.
func (e *Entry) View(viewer Viewer) OpView {
	op := e.Op
	if !e.VisibleTo(viewer) {
		op.hidden = true
	}
	return OpView{V: e.V, ID: e.ID, By: e.By, ByRole: e.ByRole, At: e.At, Op: op}
}
