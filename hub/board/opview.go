package board

import "time"

// OpView is an accepted op as one recipient receives it, in an op frame or
// in welcome.ops. By is empty, and left out, where the op is someone
// else's vote or answer (a secret ballot). Revealed, Votes and Consent
// come with an op that shows the recipient what it could not see before;
// Counts with a consent answer, where results are shown.
type OpView struct {
	T        string         `json:"t,omitempty"`
	V        int64          `json:"v"`
	ID       string         `json:"id"`
	By       string         `json:"by,omitempty"`
	ByRole   Role           `json:"byRole"`
	At       time.Time      `json:"at"`
	Op       Op             `json:"op"`
	Revealed []CardView     `json:"revealed,omitempty"`
	Votes    map[string]int `json:"votes,omitempty"`
	// VotesByRole comes with Votes: each card's votes by the voters' roles.
	VotesByRole map[string]map[Role]int   `json:"votesByRole,omitempty"`
	Consent     map[string]map[string]int `json:"consent,omitempty"`
	Counts      map[string]int            `json:"counts,omitempty"`
}

// OpFrame encodes an op frame, by hand (see json.go).
func OpFrame(v OpView) []byte {
	v.T = "op"
	return v.appendJSON(make([]byte, 0, JSONSizeHint(v.ID, v.By, &v.Op)))
}

// VisibleTo says whether viewer may read the text an entry carries.
func (e *Entry) VisibleTo(viewer Viewer) bool { return e.Audience().redactions(viewer)&1 == 0 }

// Audience sorts an entry's recipients by what they may know of it, so
// that a room encodes the entry once per kind of recipient, not once per
// recipient. It holds what it needs of the entry, not the entry.
type Audience struct {
	private, hushed, ballot, text bool
	owner, by                     string
	reveals                       bool   // to every participant and wall
	except                        string // but this one
}

// Audience returns the entry's audience.
func (e *Entry) Audience() Audience {
	k := kinds[e.Op.Kind]
	if k == nil {
		return Audience{}
	}
	a := Audience{private: e.Private, hushed: e.Hushed, ballot: k.ballot != nil, text: k.hidden != nil, owner: e.Owner, by: e.By}
	if k.revealsTo != nil {
		a.reveals, a.except = k.revealsTo(*e)
	}
	return a
}

// Revealing is the key of a recipient the entry shows something it could
// not see before: its frame is made for it alone, with Board.Reveal.
const Revealing = NumViewKeys

// NumViewKeys bounds the keys of recipients who share a frame.
const NumViewKeys = 8

// Key returns viewer's key: recipients with the same key below
// NumViewKeys receive the same View.
func (a Audience) Key(viewer Viewer) int {
	if a.reveals && viewer.Role != RoleFacilitator && (viewer.ID == "" || viewer.ID != a.except) {
		return Revealing
	}
	return a.redactions(viewer)
}

// redactions is what viewer may not know of the entry, as bits of a key.
func (a Audience) redactions(viewer Viewer) int {
	key := 0
	fac := viewer.Role == RoleFacilitator
	if a.text && a.private && !fac && (viewer.ID == "" || viewer.ID != a.owner) {
		key |= 1 // the text hidden
	}
	if a.ballot && viewer.ID != a.by {
		key |= 2 // someone else's ballot
	}
	if a.hushed && !fac {
		key |= 4 // results hidden from viewer
	}
	return key
}

// View returns the entry as viewer receives it: text hidden where the
// phase or an approval hid it when the op was accepted, someone else's
// vote or answer as a secret ballot, and no counts while results were
// hidden from viewer. It leaves out what a reveal adds (Board.Reveal).
func (e *Entry) View(viewer Viewer) OpView {
	key := e.Audience().redactions(viewer)
	op := e.Op
	op.hidden = key&1 != 0
	v := OpView{V: e.V, ID: e.ID, By: e.By, ByRole: e.ByRole, At: e.At}
	if key&2 != 0 {
		v.By, op.ballot, op.hushed = "", true, key&4 != 0
	}
	if key&4 == 0 {
		v.Counts = e.Counts
	}
	v.Op = op
	return v
}

// RevealsTo says whether the entry shows viewer something it could not
// see before (cards, or results), which a room then sends with the op
// from its board just after it (Board.Reveal) and never replays from the
// log.
func (e *Entry) RevealsTo(viewer Viewer) bool { return e.Audience().Key(viewer) == Revealing }

// Reveal returns the entry as viewer receives it, with what it reveals to
// viewer, from the board just after the entry was applied.
func (b *Board) Reveal(e *Entry, viewer Viewer) OpView {
	v := e.View(viewer)
	if e.RevealsTo(viewer) {
		kinds[e.Op.Kind].reveal(b, *e, viewer, &v)
	}
	return v
}
