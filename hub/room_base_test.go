package hub

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// answer is an ack or a nack.
type answer struct {
	T, ID, Code, Message string
	V                    int64
}

// nextAnswer returns the next ack or nack after index *from.
func (m *inbox) nextAnswer(t *testing.T, from *int) answer {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		m.mu.Lock()
		for ; *from < len(m.frames); *from++ {
			var a answer
			json.Unmarshal(m.frames[*from], &a)
			if a.T == "ack" || a.T == "nack" {
				*from++
				m.mu.Unlock()
				return a
			}
		}
		m.mu.Unlock()
		select {
		case <-m.signal:
		case <-deadline:
			t.Fatalf("no ack or nack within 10s")
		}
	}
}

// TestRoomAnswersOldBase: an op made on a board older than the op ids
// kept is answered from the index alone. A re-send whose id was trimmed
// is refused and changes nothing, as is a new op made on such a board; a
// re-send whose id is kept gets its ack, with an old base or a recent one.
func TestRoomAnswersOldBase(t *testing.T) {
	const keep, n = 10, 30
	lowerOpsKept(t, keep)
	for name, open := range map[string]func(t *testing.T) Store{
		"embedded": func(t *testing.T) Store { return openTestEmbedded(t) },
		"redis":    func(t *testing.T) Store { return openRedisStore(t, redisURL(t)) },
	} {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			_, w, s, m := openWorkshop(t, store, board.RoleStaff)
			add := func(text string) board.Op {
				return board.Op{Kind: board.KindCardAdd, Card: &board.CardInput{ID: uuid.NewString(), Text: text}}
			}
			from := 0
			ids, ops := make([]string, n+1), make([]board.Op, n+1) // by version
			for v := int64(1); v <= n; v++ {
				ids[v], ops[v] = uuid.NewString(), add(fmt.Sprint("card ", v))
				s.SubmitBase(ids[v], ops[v], v-1)
				if a := m.nextAnswer(t, &from); a.T != "ack" || a.ID != ids[v] || a.V != v {
					t.Fatalf("op %d: got %+v, want its ack at %d", v, a, v)
				}
			}
			// The room stores a snapshot every snapshotEvery versions; here
			// one is stored at once, with every op copied where it is trimmed.
			if es, ok := store.(*EmbeddedStore); ok {
				if err := es.checkpoint(false); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan int64)
			s.room.post(inspectReq(func(r *Room) { r.snapshot(); done <- r.snapV }), nil)
			if v := <-done; v != n {
				t.Fatalf("snapshot at %d, want %d", v, n)
			}

			never := uuid.NewString()
			tests := []struct {
				name   string
				id     string
				op     board.Op
				base   int64
				wantV  int64 // 0: a nack
				wantAt int64 // the room's version after
			}{
				{"re-send of a trimmed id, old base", ids[3], ops[3], 2, 0, n},
				{"re-send of a kept id, old base", ids[n-2], ops[n-2], 2, n - 2, n},
				{"re-send of a kept id, recent base", ids[n-1], ops[n-1], n - 2, n - 1, n},
				{"new op, old base", never, add("never"), n - keep - 1, 0, n},
				{"new op, the oldest recent base", uuid.NewString(), add("new"), n - keep, n + 1, n + 1},
				{"re-send of the refused new op, recent base", never, add("never"), n, n + 2, n + 2},
			}
			for _, tt := range tests {
				s.SubmitBase(tt.id, tt.op, tt.base)
				a := m.nextAnswer(t, &from)
				switch {
				case a.ID != tt.id:
					t.Errorf("%s: answer for %s, want %s", tt.name, a.ID, tt.id)
				case tt.wantV == 0 && (a.T != "nack" || a.Code != board.CodeInvalid || a.Message != staleOp):
					t.Errorf("%s: got %+v, want nack invalid %q", tt.name, a, staleOp)
				case tt.wantV != 0 && (a.T != "ack" || a.V != tt.wantV):
					t.Errorf("%s: got %+v, want ack at %d", tt.name, a, tt.wantV)
				}
				at := make(chan int64)
				s.room.post(inspectReq(func(r *Room) { at <- r.board.V }), nil)
				if got := <-at; got != tt.wantAt {
					t.Errorf("%s: room at version %d, want %d", tt.name, got, tt.wantAt)
				}
			}
			if h, err := store.Head(t.Context(), w.ID); err != nil || h.V != n+2 {
				t.Errorf("store head %+v, %v; want version %d", h, err, n+2)
			}
			if got, err := LoadBoard(t.Context(), store, w.ID); err != nil || len(got.Cards) != n+2 {
				t.Errorf("board of %d cards, %v; want %d", len(got.Cards), err, n+2)
			}
		})
	}
}
