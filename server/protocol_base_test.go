package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub"
	"github.com/withboard/withboard/hub/board"
)

// oldOps is more versions than the server keeps the op ids of (keepOps).
const oldOps = 20_100

// TestProtocolOpBase: an op frame's base, on the wire. On a board that has
// moved on past the op ids the server keeps, a re-send made on an old
// board whose id was forgotten is refused, as is a new op made on one; a
// re-send whose id is kept gets its ack; ops with a recent base, or none,
// are applied; a base that is not a number makes the frame unreadable.
func TestProtocolOpBase(t *testing.T) {
	store, w, ids := oldWorkshop(t)
	srv := newTestServer(t, store)

	c := dial(t, srv.URL)
	welcome := c.join(map[string]any{"code": w.Code, "role": "staff"})
	if v := string(welcome["v"]); v != fmt.Sprint(oldOps) {
		t.Fatalf("welcome at version %s, want %d", v, oldOps)
	}
	send := func(frame map[string]any) (int64, string) {
		t.Helper()
		frame["t"] = "op"
		c.sendJSON(frame)
		return c.ack(frame["id"].(string))
	}
	never := uuid.NewString()
	tests := []struct {
		name     string
		frame    map[string]any
		wantV    int64
		wantCode string
	}{
		{"re-send of a forgotten id, old base", map[string]any{"id": ids[1], "base": 0, "op": focusOp()}, 0, board.CodeInvalid},
		{"new op, old base", map[string]any{"id": never, "base": 0, "op": addCard("late", nil, nil)}, 0, board.CodeInvalid},
		{"re-send of a kept id, recent base", map[string]any{"id": ids[oldOps], "base": oldOps - 1, "op": focusOp()}, oldOps, ""},
		{"re-send of a kept id, old base", map[string]any{"id": ids[oldOps-1], "base": 3, "op": focusOp()}, oldOps - 1, ""},
		{"new op, recent base", map[string]any{"id": uuid.NewString(), "base": oldOps, "op": addCard("now", nil, nil)}, oldOps + 1, ""},
		{"new op, no base (v1)", map[string]any{"id": uuid.NewString(), "op": addCard("v1", nil, nil)}, oldOps + 2, ""},
		{"base not a number", map[string]any{"id": uuid.NewString(), "base": "0", "op": addCard("odd", nil, nil)}, 0, board.CodeInvalid},
		{"the refused new op made again", map[string]any{"id": never, "base": oldOps + 2, "op": addCard("late", nil, nil)}, oldOps + 3, ""},
	}
	for _, tt := range tests {
		if v, code := send(tt.frame); v != tt.wantV || code != tt.wantCode {
			t.Errorf("%s: got version %d, code %q; want %d, %q", tt.name, v, code, tt.wantV, tt.wantCode)
		}
	}
	b, err := hub.LoadBoard(t.Context(), store, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.V != oldOps+3 || len(b.Cards) != 3 {
		t.Errorf("board at version %d with %d cards, want %d with 3", b.V, len(b.Cards), oldOps+3)
	}
}

func focusOp() map[string]any { return map[string]any{"kind": "focus.set", "stage": nil} }

// oldWorkshop makes a workshop of oldOps focus changes, appended straight
// to an embedded store, and a snapshot at the top, so that the ids of the
// oldest are forgotten. It returns the store, opened again, the workshop
// and the op ids by version.
func oldWorkshop(t *testing.T) (*hub.EmbeddedStore, board.Workshop, []string) {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	store, err := hub.OpenEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(store, hub.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w, _, err := h.CreateWorkshop(ctx, "Long workshop")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, oldOps+1)
	var last hub.Pending
	for v := int64(1); v <= oldOps; v++ {
		ids[v] = uuid.NewString()
		e := board.Entry{ID: ids[v], By: uuid.NewString(), ByRole: board.RoleFacilitator, At: time.Now().UTC().Truncate(time.Millisecond),
			Op: board.Op{Kind: board.KindFocusSet}}
		got, p, err := store.AppendAsync(ctx, w.ID, v-1, e)
		if err != nil || got != v {
			t.Fatalf("AppendAsync at %d = %d, %v", v-1, got, err)
		}
		last = p
	}
	<-last.Done()
	if err := last.Err(); err != nil {
		t.Fatal(err)
	}
	// Closing copies the log into the database, where ids are trimmed.
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if store, err = hub.OpenEmbedded(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	b, err := hub.LoadBoard(ctx, store, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.MarshalBoard()
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutSnapshot(ctx, w.ID, hub.Snapshot{V: b.V, Board: data}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpVersion(ctx, w.ID, ids[1]); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("OpVersion of the first op after the snapshot: %v, want ErrNotFound", err)
	}
	return store, w, ids
}
