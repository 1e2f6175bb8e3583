package board

import "time"

// Workshop is a workshop's record: who it is and how a facilitator proves
// they run it. KeyHash is the SHA-256 of the facilitator key; the key itself
// is never stored.
type Workshop struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Title     string    `json:"title"`
	KeyHash   []byte    `json:"keyHash"`
	CreatedAt time.Time `json:"createdAt"`
}

// Participant is someone who joined a workshop. TokenHash is the SHA-256 of
// their resume token.
type Participant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	TokenHash []byte    `json:"tokenHash"`
	JoinedAt  time.Time `json:"joinedAt"`
}
