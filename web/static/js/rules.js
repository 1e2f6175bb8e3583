// What this person may do now, as the server's rules allow it, so that the
// page offers only controls that will work. The server still decides.

function isFacilitator(me) {
  return me?.role === 'facilitator';
}

function writable(b, me) {
  return isFacilitator(me) ? b.phase !== 'closed' : b.phase === 'open' || b.phase === 'private';
}

/** canAdd: new cards are welcome while the board is open or private. */
export function canAdd(b, me) {
  return writable(b, me);
}

/** canMove: anyone in open, only your own cards in private, the facilitator always. */
export function canMove(b, me, card) {
  if (!writable(b, me) || card.pending === 'delete') return false;
  return isFacilitator(me) || b.phase === 'open' || card.by === me.id;
}

/** canEdit covers edit and delete: the author, or the facilitator. */
export function canEdit(b, me, card) {
  return writable(b, me) && card.pending !== 'delete' && (isFacilitator(me) || card.by === me.id);
}

/** canVote: participants vote while the board is open; facilitators never. */
export function canVote(b, me) {
  return !isFacilitator(me) && b.phase === 'open';
}

/** canAgree: only the facilitator marks agreed actions. */
export function canAgree(b, me) {
  return isFacilitator(me) && b.phase !== 'closed';
}

/**
 * canConsent, as the server's consent.set: participants answer for a stage
 * once its level is agreed, while the board takes changes, and while it is
 * paused too when that stage's consent round is on.
 */
export function canConsent(b, me, stage) {
  if (isFacilitator(me) || !b.stages[stage].agreedLevel || b.phase === 'closed') return false;
  return b.phase !== 'locked' || b.consentRound === stage;
}
