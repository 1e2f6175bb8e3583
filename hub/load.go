package hub

import (
	"context"
	"fmt"
	"time"
)

// LoadBoard reads a workshop's board as the store has it: the newest
// snapshot and every entry after it. The store is the record, so this is
// every acknowledged change, whether or not a room is live anywhere.
func LoadBoard(ctx context.Context, store Store, workshopID string) (*Board, error) {
	snap, err := store.Snapshot(ctx, workshopID)
	if err != nil {
		return nil, err
	}
	board := NewBoard()
	if len(snap.Board) > 0 {
		if board, err = UnmarshalBoard(snap.Board); err != nil {
			return nil, err
		}
	}
	entries, err := store.Entries(ctx, workshopID, board.V)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		board.Apply(e)
	}
	return board, nil
}

// Phase returns a workshop's phase now.
func (h *Hub) Phase(ctx context.Context, w Workshop) (Phase, error) {
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
func (h *Hub) Export(ctx context.Context, w Workshop, at time.Time) (Export, error) {
	b, err := LoadBoard(ctx, h.store, w.ID)
	if err != nil {
		return Export{}, fmt.Errorf("export: load board: %w", err)
	}
	people, err := h.store.Participants(ctx, w.ID)
	if err != nil {
		return Export{}, fmt.Errorf("export: load participants: %w", err)
	}
	return BuildExport(w, b, people, at), nil
}
