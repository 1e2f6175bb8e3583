package board

import (
	"fmt"
	"time"
)

// The op kinds are declared in kinds_card.go and kinds_facilitation.go.

// CardInput is the card a card.add op carries.
type CardInput struct {
	ID    string  `json:"id"`
	Text  string  `json:"text"`
	Stage *string `json:"stage"`
	Level *string `json:"level"`
}

// Op is one change to a board as a client sends it. Only the fields of its
// kind are meaningful; the others are ignored when it is decoded and left
// out when it is encoded again.
type Op struct {
	Kind          string     `json:"kind"`
	Card          *CardInput `json:"card,omitempty"`
	CardID        string     `json:"cardId,omitempty"`
	Text          *string    `json:"text,omitempty"`
	Stage         *string    `json:"stage,omitempty"`
	Level         *string    `json:"level,omitempty"`
	Index         *int       `json:"index,omitempty"`
	Delta         *int       `json:"delta,omitempty"`
	Agreed        *bool      `json:"agreed,omitempty"`
	Note          *string    `json:"note,omitempty"`
	Answer        string     `json:"answer,omitempty"`
	Phase         string     `json:"phase,omitempty"`
	Seconds       *int       `json:"seconds,omitempty"`
	Budget        *int       `json:"budget,omitempty"`
	ParticipantID string     `json:"participantId,omitempty"`
	RemoveCards   *bool      `json:"removeCards,omitempty"`
	Shown         *bool      `json:"shown,omitempty"`    // results.set
	Open          *bool      `json:"open,omitempty"`     // joins.set
	Required      *bool      `json:"required,omitempty"` // approval.set
	// TimerEndsAt is set by the server on timer.set.
	TimerEndsAt *time.Time `json:"timerEndsAt,omitempty"`
	// Previous is set by the server on consent.set: the sender's answer it
	// replaces, "" for none, so clients can keep exact counts.
	Previous string `json:"previous,omitempty"`

	// What the recipient may not know of the op, set by Entry.View.
	hidden bool // the card text: it may not read it
	ballot bool // a vote or an answer of someone else's: only what counts
	hushed bool // someone else's vote or answer while results are hidden: the kind alone
}

// Entry is an accepted op as it is kept in a room's log and broadcast.
// Private, Owner, Hushed and Counts are stamped when the op is accepted,
// so that a replay shows each recipient exactly what the live broadcast
// did.
type Entry struct {
	V      int64     `json:"v"`
	ID     string    `json:"id"`
	By     string    `json:"by"`
	ByRole Role      `json:"byRole"`
	At     time.Time `json:"at"`
	Op     Op        `json:"op"`
	// Private is true when the op was accepted during the private phase,
	// or adds or edits a card that waits for the facilitator's approval:
	// its text is for its owner and facilitators only.
	Private bool `json:"private,omitempty"`
	// Hushed is true for a vote or consent answer made while results were
	// hidden: others learn only that something was cast.
	Hushed bool `json:"hushed,omitempty"`
	// Counts is a consent.set's stage's tally after it.
	Counts map[string]int `json:"counts,omitempty"`
	// Owner is the author of the card a card.add or card.edit concerns.
	Owner string `json:"owner,omitempty"`
	// Epoch is the history the entry was appended to; a store refuses an
	// append to another one, and a room that receives an entry of another
	// one reloads instead of mixing two histories.
	Epoch string `json:"epoch,omitempty"`
}

// Role is what a participant is in a workshop.
type Role string

// The three roles of the contract.
const (
	RoleFacilitator Role = "facilitator"
	RoleStaff       Role = "staff"
	RoleServiceUser Role = "serviceUser"
	// RoleWall is a shared screen's: it sees what any participant with no
	// cards, votes or answers sees, and sends nothing.
	RoleWall Role = "wall"
)

// Phase is the stage a workshop's facilitation is in.
type Phase string

// The four phases of the contract.
const (
	PhaseOpen    Phase = "open"
	PhasePrivate Phase = "private"
	PhaseLocked  Phase = "locked"
	PhaseClosed  Phase = "closed"
)

// Stages and Levels are the board's row and column ids, in order.
var (
	Stages = []string{"plan", "do", "assess", "review"}
	Levels = []string{"consultation", "conversation", "participation"}
)

// Error codes of the contract, used in nack and error frames.
const (
	CodeInvalid     = "invalid"
	CodeForbidden   = "forbidden"
	CodeLocked      = "locked"
	CodeNotFound    = "notFound"
	CodeRateLimited = "rateLimited"
	CodeTooLarge    = "tooLarge"
	CodeUnavailable = "unavailable"
	CodeBadJoin     = "badJoin"
	CodeRemoved     = "removed"
	CodeDeleted     = "deleted"
	CodeFull        = "full"
)

// Error is a refusal a person can read: a contract code and a plain message.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func Refuse(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
