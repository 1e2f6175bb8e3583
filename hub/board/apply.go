package board

// Apply applies the accepted entry e at version b.V+1. The entry was
// prepared against this same version when it was accepted, so it is valid
// here; if it is not (a replica that went wrong), it is checked again and
// applied as a no-op, so that every replica still ends at the same version
// with the same board.
func (b *Board) Apply(e Entry) {
	b.V, b.LastID = e.V, e.ID
	if err := b.Prepare(&e); err != nil {
		return
	}
	kinds[e.Op.Kind].apply(b, e)
}
