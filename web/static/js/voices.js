// Whose voice is on the board: the cards written and the votes cast by
// the people who use the service and by staff, for each stage and for the
// whole board. A card says its author's role and its votes by the voters'
// roles, so every page can count both.

const GROUPS = [
  ['serviceUser', 'service users'],
  ['staff', 'staff'],
];

function plural(n, one) {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

function add(tally, role, cards, votes) {
  const t = (tally[role] ??= { cards: 0, votes: 0 });
  t.cards += cards;
  t.votes += votes;
}

/** tally counts board b's cards and votes by role, per stage ('' is the tray). */
export function tally(b) {
  const out = {};
  for (const c of b.cards.values()) {
    const at = (out[c.stage ?? ''] ??= {});
    add(at, c.byRole, 1, 0);
    for (const [role, n] of Object.entries(c.votesByRole ?? {})) add(at, role, 0, n);
  }
  return out;
}

/** voiceLines says whose voice a part of the board holds ({ role: { cards, votes } }), one line per group. */
export function voiceLines(t = {}) {
  const lines = GROUPS.map(([role, name]) => `${name}: ${plural(t[role]?.cards ?? 0, 'card')}, ${plural(t[role]?.votes ?? 0, 'vote')}`);
  if (t.facilitator?.cards) lines.push(`facilitator: ${plural(t.facilitator.cards, 'card')}`);
  return lines;
}

/** totalText sums a tally over the board. */
export function totalText(byStage) {
  const sum = {};
  for (const at of Object.values(byStage)) for (const [role, t] of Object.entries(at)) add(sum, role, t.cards, t.votes);
  return voiceLines(sum).join(' · ');
}
