package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/withboard/withboard/hub/board"
)

// A prepared workshop: a brand-new workshop filled with made-up people and
// their changes before anyone joins, such as the sample a facilitator can
// rehearse with alone.

// SeedPerson is a made-up participant of a prepared workshop.
type SeedPerson struct {
	Name string     // may be empty: anonymous
	Role board.Role // staff or serviceUser
}

// SeedOp is one change of a prepared workshop: the op, and who makes it,
// as an index into the people given to Seed.
type SeedOp struct {
	By int
	Op board.Op
}

// Seed fills workshop w, which must have no history yet and no live room,
// with people and the ops they make. Each person is recorded as a
// participant whose resume token no one holds, so no one can come back as
// them; each op is checked by the board's rules, as if its person had sent
// it, and appended at the next version. The first op refused ends the
// seeding with an error; what was appended before it stays.
func (h *Hub) Seed(ctx context.Context, w board.Workshop, people []SeedPerson, ops []SeedOp) error {
	head, err := h.store.Head(ctx, w.ID)
	if err != nil {
		return fmt.Errorf("seed: read head: %w", err)
	}
	if head.V != 0 {
		return fmt.Errorf("seed: workshop %s already has a history (version %d)", w.ID, head.V)
	}
	joined := time.Now().UTC().Truncate(time.Millisecond)
	parts := make([]board.Participant, len(people))
	for i, sp := range people {
		if sp.Role != board.RoleStaff && sp.Role != board.RoleServiceUser {
			return fmt.Errorf("seed: person %d: role %q is not staff or serviceUser", i, sp.Role)
		}
		name, bad := board.CleanName(sp.Name)
		if bad != nil {
			return fmt.Errorf("seed: person %d: %w", i, bad)
		}
		parts[i] = board.Participant{
			ID: uuid.NewString(), Name: name, Role: sp.Role,
			TokenHash: Hash(NewSecret()), JoinedAt: joined.Add(time.Duration(i) * time.Millisecond),
		}
		if err := h.store.PutParticipant(ctx, w.ID, parts[i]); err != nil {
			return fmt.Errorf("seed: put participant: %w", err)
		}
	}
	b := board.NewBoard()
	for i, so := range ops {
		if so.By < 0 || so.By >= len(parts) {
			return fmt.Errorf("seed: op %d: no person %d", i, so.By)
		}
		p := parts[so.By]
		e := board.Entry{
			ID: uuid.NewString(), By: p.ID, ByRole: p.Role,
			At: time.Now().UTC().Truncate(time.Millisecond), Op: so.Op, Epoch: head.Epoch,
		}
		if bad := b.Prepare(&e); bad != nil {
			return fmt.Errorf("seed: op %d (%s): %w", i, so.Op.Kind, bad)
		}
		v, err := h.store.Append(ctx, w.ID, b.V, e) // ErrConflict if anyone else wrote
		if err != nil {
			return fmt.Errorf("seed: op %d: append: %w", i, err)
		}
		e.V = v
		b.Apply(e)
	}
	return nil
}
