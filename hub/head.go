package hub

import "context"

// Head returns where workshop id's log stands, its version and epoch,
// without reading its board: enough for a caller that keeps what it read
// of a board to tell whether that is still current.
func (h *Hub) Head(ctx context.Context, id string) (Head, error) {
	return h.store.Head(ctx, id)
}
