package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// Benchmarks of the work a room does per op and per join. The whole
// server under load is measured by client/cmd/withboard-load; see the
// Performance section of README.md.

// benchBoard returns a board of n cards spread over every cell and the
// tray, with people who have each cast some votes, and its authors.
func benchBoard(n, people int) (*board.Board, []string) {
	b := board.NewBoard()
	ids := make([]string, people)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	var v int64
	play := func(by string, op board.Op) {
		v++
		e := board.Entry{V: v, ID: uuid.NewString(), By: by, ByRole: board.RoleServiceUser, At: time.Now().UTC(), Op: op}
		if err := b.Prepare(&e); err != nil {
			panic(err.Message)
		}
		b.Apply(e)
	}
	var cards []string
	for i := range n {
		card := uuid.NewString()
		cards = append(cards, card)
		var stage, level *string
		if i%13 != 0 {
			stage, level = &board.Stages[i%4], &board.Levels[i%3]
		}
		play(ids[i%people], board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: card, Text: fmt.Sprintf("Idea %d: ask the youth panel to co-write the survey", i), Stage: stage, Level: level}})
	}
	one := 1
	for i, by := range ids {
		for j := range min(b.VoteBudget, len(cards)) {
			play(by, board.Op{Kind: board.KindCardVote, CardID: cards[(i*7+j*3)%len(cards)], Delta: &one})
		}
	}
	return b, cards
}

// BenchmarkApply measures applying one accepted op to a board of 100
// cards, as every instance holding the room does for every version.
func BenchmarkApply(b *testing.B) {
	one, minus, idx := 1, -1, 2
	text := "Run the survey with the youth panel, then again in spring"
	kinds := []struct {
		name string
		op   func(i int, cards []string) board.Op
	}{
		{"move", func(i int, cards []string) board.Op {
			return board.Op{Kind: board.KindCardMove, CardID: cards[i%len(cards)], Stage: &board.Stages[i%4], Level: &board.Levels[i%3], Index: &idx}
		}},
		{"vote", func(i int, cards []string) board.Op {
			if i%2 == 0 {
				return board.Op{Kind: board.KindCardVote, CardID: cards[0], Delta: &one}
			}
			return board.Op{Kind: board.KindCardVote, CardID: cards[0], Delta: &minus}
		}},
		{"edit", func(i int, cards []string) board.Op {
			return board.Op{Kind: board.KindCardEdit, CardID: cards[i%len(cards)], Text: &text}
		}},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			bd, cards := benchBoard(100, 25)
			by := uuid.NewString() // a newcomer, with all their votes to cast
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e := board.Entry{V: bd.V + 1, ID: "op", By: by, ByRole: board.RoleFacilitator, At: time.Now(), Op: k.op(i, cards)}
				if k.name == "vote" {
					e.ByRole = board.RoleServiceUser
				}
				bd.Apply(e)
				i++
			}
		})
	}
}

// frameSink keeps a benchmark's frames on the heap, as a room's are.
var frameSink []byte

// BenchmarkEncodeOpFrame measures encoding the op frame that a room
// broadcasts, once per op (twice in the private phase).
func BenchmarkEncodeOpFrame(b *testing.B) {
	idx := 2
	card := &board.CardInput{ID: uuid.NewString(), Text: "Ask people what they think before we start", Stage: &board.Stages[1], Level: &board.Levels[2]}
	ops := map[string]board.Op{
		"move": {Kind: board.KindCardMove, CardID: uuid.NewString(), Stage: &board.Stages[1], Level: &board.Levels[2], Index: &idx},
		"add":  {Kind: board.KindCardAdd, Card: card},
	}
	for name, op := range ops {
		b.Run(name, func(b *testing.B) {
			e := board.Entry{V: 1234, ID: uuid.NewString(), By: uuid.NewString(), ByRole: board.RoleServiceUser, At: time.Now().UTC(), Op: op}
			viewer := board.Viewer{ID: uuid.NewString(), Role: board.RoleStaff}
			b.ReportAllocs()
			for b.Loop() {
				frameSink = board.OpFrame(e.View(viewer))
			}
		})
	}
}

// countingMember is a Member that only counts what it is sent, so that a
// benchmark sees the room's own cost of a fan-out.
type countingMember struct{ frames atomic.Int64 }

func (m *countingMember) Send([]byte) bool { m.frames.Add(1); return true }
func (m *countingMember) Close([]byte)     {}

// benchRoom returns a loaded room with members, not running: the
// benchmark calls its methods directly, as its goroutine would.
func benchRoom(b *testing.B, cards, members int) (*Room, *Hub) {
	b.Helper()
	store, err := OpenEmbedded(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	h := New(store, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	w, _, err := h.CreateWorkshop(context.Background(), "Benchmark")
	if err != nil {
		b.Fatal(err)
	}
	r := newRoom(h, w)
	r.board, _ = benchBoard(cards, 25)
	r.epoch = "bench"
	r.snapV = r.board.V
	r.people = newPeople(nil)
	for range members {
		you := You{ID: uuid.NewString(), Role: board.RoleServiceUser}
		r.people.add(board.Participant{ID: you.ID, Role: you.Role, JoinedAt: time.Now()})
		r.people.online[you.ID]++
		r.members[&Session{room: r, member: &countingMember{}, you: you}] = struct{}{}
	}
	return r, h
}

// BenchmarkFanOut measures a room applying an accepted card.move and
// queueing it to every member: encoded once, sent to 25 or 500.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{25, 500} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			r, _ := benchRoom(b, 100, n)
			cards := r.board.Ordered()
			by := uuid.NewString()
			idx := 1
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c := cards[i%len(cards)]
				r.snapV = r.board.V // snapshots are a store write, not fan-out
				r.apply(board.Entry{V: r.board.V + 1, ID: uuid.NewString(), By: by, ByRole: board.RoleServiceUser, At: time.Now().UTC(),
					Op: board.Op{Kind: board.KindCardMove, CardID: c.ID, Stage: &board.Stages[i%4], Level: &board.Levels[i%3], Index: &idx}})
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
		})
	}
}

// BenchmarkWelcome measures building and encoding the welcome of a new
// participant to a board of 500 cards: the CPU part of a join.
func BenchmarkWelcome(b *testing.B) {
	r, _ := benchRoom(b, 500, 25)
	s := &Session{room: r, member: &countingMember{}, you: You{ID: uuid.NewString(), Role: board.RoleServiceUser}}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		size = len(r.welcome(s, JoinRequest{}))
	}
	b.ReportMetric(float64(size), "bytes")
}

// BenchmarkJoin measures a whole join of a new participant to a room of
// 25 members and a 500-card board, as the room's goroutine does it:
// identify (the participant is written to the embedded store, fsynced),
// welcome, presence to everyone. Each joiner leaves again, so the room
// stays the same size.
func BenchmarkJoin(b *testing.B) {
	r, _ := benchRoom(b, 500, 25)
	b.ReportAllocs()
	for b.Loop() {
		reply := make(chan joinResult, 1)
		r.join(joinReq{req: JoinRequest{Name: "Sam", Role: board.RoleServiceUser}, member: &countingMember{}, reply: reply})
		res := <-reply
		if res.err != nil {
			b.Fatal(res.err)
		}
		r.leave(res.s)
	}
}
