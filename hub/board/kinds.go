package board

import "sort"

// An op kind is declared once, as a kind in kinds_card.go or
// kinds_facilitation.go: its name, who may send it, its fields as they
// are written, how it is checked, what it does, and what a recipient who
// may not read its text receives instead. Prepare, Apply, the op's JSON
// and its views are derived from those declarations.

// kind is everything one op kind is.
type kind struct {
	name string
	who  sender
	// fields are the op's fields (besides kind) as they are written, in
	// any order: they are written sorted by name.
	fields []field
	// hidden, when set, are the fields written instead to a recipient
	// who may not read the op's text (another's card in private). A kind
	// without them carries no card text.
	hidden []field
	// ballot, when set, makes the op a secret ballot: the fields written
	// to everyone but its sender, who also do not learn who sent it; while
	// results are hidden they get the kind alone.
	ballot []field
	// prepare checks the op's own fields against the board and normalises
	// them, after the checks every kind shares (kind, phase, role).
	prepare func(b *Board, e *Entry) *Error
	// apply makes the change of an op that prepare accepted.
	apply func(b *Board, e Entry)
	// whileLocked, when set, says whether a participant may send the op
	// while the board is locked (an answer in a consent round).
	whileLocked func(b *Board, e *Entry) bool
	// revealsTo and reveal: the op shows recipients what they could not
	// see before (cards, results). revealsTo says, from the entry alone,
	// whether it shows every participant and wall something, but the one
	// with id except; reveal adds it to a recipient's view, from the board
	// just after the op. Such a kind is a barrier.
	revealsTo func(e Entry) (reveals bool, except string)
	reveal    func(b *Board, e Entry, viewer Viewer, v *OpView)
	// barrier: the op acts beyond the board (it reveals, or closes
	// connections), so a room sends it out before it takes another.
	barrier bool

	// derived at registration: the field lists with kind in its place
	json, hiddenJSON, ballotJSON []field
}

// sender is who may send a kind of op.
type sender int

const (
	anyone          sender = iota
	facilitatorOnly        // refused as forbidden to everyone else
	participantOnly        // facilitators neither vote nor answer consent
)

// field is one of an op's JSON fields: its name and how its value is
// written.
type field struct {
	name  string
	value func(b []byte, o Op) []byte
}

// kinds is every op kind, by name.
var kinds = register(cardKinds, facilitationKinds)

func register(groups ...[]*kind) map[string]*kind {
	m := map[string]*kind{}
	for _, g := range groups {
		for _, k := range g {
			if m[k.name] != nil {
				panic("board: op kind declared twice: " + k.name)
			}
			k.json = withKind(k.fields)
			if k.hidden != nil {
				k.hiddenJSON = withKind(k.hidden)
			}
			if k.ballot != nil {
				k.ballotJSON = withKind(k.ballot)
			}
			if (k.reveal != nil) != (k.revealsTo != nil) || (k.reveal != nil && !k.barrier) {
				panic("board: op kind " + k.name + " reveals without being a barrier")
			}
			m[k.name] = k
		}
	}
	return m
}

// kindField writes the op's kind.
var kindField = field{"kind", func(b []byte, o Op) []byte { return AppendJSONString(b, o.Kind) }}

// withKind returns fields and the kind field sorted by name, the order in
// which encoding/json writes a map's keys, as the op's JSON always was.
func withKind(fields []field) []field {
	out := append([]field{kindField}, fields...)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// Kinds lists the names of every op kind, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for name := range kinds {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// IsBarrier says whether ops of this kind act beyond the board, so that a
// room must send out every op before it, and it, before taking another.
func IsBarrier(kindName string) bool {
	k := kinds[kindName]
	return k != nil && k.barrier
}

// isBallot says whether ops of this kind are secret ballots.
func isBallot(kindName string) bool {
	k := kinds[kindName]
	return k != nil && k.ballot != nil
}

// carriesText says whether ops of this kind carry card text.
func carriesText(kindName string) bool {
	k := kinds[kindName]
	return k != nil && k.hidden != nil
}
