package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// people is a room's register of participants, indexed by id and by the
// hash of their resume token, with how many connections each has here.
// It belongs to the room's goroutine.
type people struct {
	byID    map[string]*board.Participant
	byToken map[string]*board.Participant // hex of token hash
	online  map[string]int                // participant id -> live connections here
	remote  map[string]bool               // online on any instance, as the store last said
	left    map[string]time.Time          // when someone's last connection here ended
}

func newPeople(list []board.Participant) *people {
	p := &people{byID: map[string]*board.Participant{}, byToken: map[string]*board.Participant{}, online: map[string]int{}, remote: map[string]bool{}, left: map[string]time.Time{}}
	for i := range list {
		p.add(list[i])
	}
	return p
}

func (p *people) add(x board.Participant) {
	px := &x
	p.byID[x.ID] = px
	p.byToken[hex.EncodeToString(x.TokenHash)] = px
}

// here lists the participants with a connection on this instance.
func (p *people) here() []string {
	ids := make([]string, 0, len(p.online))
	for id := range p.online {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// passersBy lists, at most max, the people who may be forgotten: not
// facilitators, not removed (their tokens must still be refused), offline
// with nothing on the board (in), and gone for longer than grace, so that
// a phone that lost its network for a moment comes back as itself.
func (p *people) passersBy(removed, in map[string]bool, grace time.Duration, max int) []string {
	cutoff := time.Now().Add(-grace)
	var out []string
	for id, x := range p.byID {
		if len(out) == max {
			break
		}
		since, seen := p.left[id]
		if !seen {
			since = x.JoinedAt
		}
		if x.Role == board.RoleFacilitator || removed[id] || in[id] || p.isOnline(id) || since.After(cutoff) {
			continue
		}
		out = append(out, id)
	}
	return out
}

// forget takes people out of the register.
func (p *people) forget(ids []string) {
	for _, id := range ids {
		if x := p.byID[id]; x != nil {
			delete(p.byToken, hex.EncodeToString(x.TokenHash))
		}
		delete(p.byID, id)
		delete(p.left, id)
	}
}

// byTokenOf finds the participant a resume token belongs to.
func (p *people) byTokenOf(token string) *board.Participant {
	return p.byToken[hex.EncodeToString(Hash(token))]
}

// taking counts the people who take a place in the workshop, facilitators
// aside: those not removed who are online or have something on the board
// (in). Someone who joined and left with nothing gives their place back,
// so a stream of passers-by cannot fill a workshop for good; if they come
// back with their token they are let in as themselves.
func (p *people) taking(removed, in map[string]bool) int {
	n := 0
	for id, x := range p.byID {
		if !removed[id] && x.Role != board.RoleFacilitator && (in[id] || p.isOnline(id)) {
			n++
		}
	}
	return n
}

// list returns, oldest first with their online state, the people not
// removed who are worth listing: facilitators, everyone online, and those
// offline who have something on the board (in). Someone who left with
// nothing there is no longer listed, so that a stream of passers-by does
// not grow every presence frame.
func (p *people) list(removed, in map[string]bool) []board.Person {
	out := []board.Person{}
	order := make([]*board.Participant, 0, len(p.byID))
	for _, x := range p.byID {
		if !removed[x.ID] && (x.Role == board.RoleFacilitator || in[x.ID] || p.isOnline(x.ID)) {
			order = append(order, x)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if !order[i].JoinedAt.Equal(order[j].JoinedAt) {
			return order[i].JoinedAt.Before(order[j].JoinedAt)
		}
		return order[i].ID < order[j].ID
	})
	for _, x := range order {
		out = append(out, board.Person{ID: x.ID, Name: x.Name, Role: x.Role, Online: p.isOnline(x.ID)})
	}
	return out
}

// isOnline says whether someone has a connection here or on another instance.
func (p *people) isOnline(id string) bool { return p.online[id] > 0 || p.remote[id] }

// NewSecret returns 256 random bits, URL-safe: a facilitator key or a
// participant token.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash is how secrets are stored: SHA-256. The secrets are random, so no
// slow hash is needed.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// KeyMatches compares a presented key with a stored hash in constant time.
func KeyMatches(key string, hash []byte) bool {
	return key != "" && subtle.ConstantTimeCompare(Hash(key), hash) == 1
}
