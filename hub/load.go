package hub

import "context"

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
