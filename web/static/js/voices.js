// Whose voice is on the board: the cards written, and where known the
// votes cast, by the people who use the service and by staff, for each
// stage and for the whole board. Cards come from the board itself; votes
// by role only from the facilitator's record (the export), since a board
// counts votes but not whose they are.

const GROUPS = [
  ['serviceUser', 'service users'],
  ['staff', 'staff'],
];

function plural(n, one) {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** cardsByRole counts the cards of board b by their author's role, per stage ('' is the tray). */
export function cardsByRole(b) {
  const out = {};
  for (const c of b.cards.values()) {
    const at = (out[c.stage ?? ''] ??= {});
    at[c.byRole] = (at[c.byRole] ?? 0) + 1;
  }
  return out;
}

/**
 * voiceLines says whose voice a part of the board holds, one line per
 * group. cards is { role: n }; balance, when known, is the export's
 * { role: { cards, votes } }.
 */
export function voiceLines(cards = {}, balance = null) {
  const lines = GROUPS.map(([role, name]) => {
    const n = plural(cards[role] ?? 0, 'card');
    return balance ? `${name}: ${n}, ${plural(balance[role]?.votes ?? 0, 'vote')}` : `${name}: ${n}`;
  });
  if (cards.facilitator) lines.push(`facilitator: ${plural(cards.facilitator, 'card')}`);
  return lines;
}

/** totalText sums cardsByRole over the board, with the export's total balance when known. */
export function totalText(byStage, total = null) {
  const sum = {};
  for (const at of Object.values(byStage)) for (const [role, n] of Object.entries(at)) sum[role] = (sum[role] ?? 0) + n;
  return voiceLines(sum, total).join(' · ');
}
