package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/withboard/withboard/hub/board"
)

// LoadBoard reads a workshop's board as the store has it: the newest
// snapshot and every entry after it. The store is the record, so this is
// every acknowledged change, whether or not a room is live anywhere.
func LoadBoard(ctx context.Context, store Store, workshopID string) (*board.Board, error) {
	snap, err := store.Snapshot(ctx, workshopID)
	if err != nil {
		return nil, err
	}
	b := board.NewBoard()
	if len(snap.Board) > 0 {
		if b, err = board.UnmarshalBoard(snap.Board); err != nil {
			return nil, err
		}
	}
	entries, err := store.Entries(ctx, workshopID, b.V)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b.Apply(e)
	}
	return b, nil
}

// Phase returns a workshop's phase now.
func (h *Hub) Phase(ctx context.Context, w board.Workshop) (board.Phase, error) {
	b, err := LoadBoard(ctx, h.store, w.ID)
	if err != nil {
		return "", err
	}
	return b.Phase, nil
}

// Ping reports whether the store answers.
func (h *Hub) Ping(ctx context.Context) error { return h.store.Ping(ctx) }

// Export reads workshop w's board and people from the store, which is the
// record, so it works on any instance, after a restart and after the
// workshop is closed, whether or not its room is live.
func (h *Hub) Export(ctx context.Context, w board.Workshop, at time.Time) (board.Export, error) {
	b, err := LoadBoard(ctx, h.store, w.ID)
	if err != nil {
		return board.Export{}, fmt.Errorf("export: load board: %w", err)
	}
	people, err := h.store.Participants(ctx, w.ID)
	if err != nil {
		return board.Export{}, fmt.Errorf("export: load participants: %w", err)
	}
	return board.BuildExport(w, b, people, at), nil
}
