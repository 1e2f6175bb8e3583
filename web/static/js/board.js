// The client's copy of one workshop's board. It starts from a welcome board
// and changes only by accepted ops, applied in version order exactly as the
// server applies them, so that it stays equal to the server's view of the
// board for this person.
//
// A board is plain data: cards by id, each cell's card ids in order (the
// tray is the cell with key ''), and what the contract's board holds,
// with myConsent: the viewer's own consent answer per stage. Votes and
// consent are secret ballots: someone else's vote comes without who cast
// it, someone else's answer with the stage's new counts only. While the
// facilitator hides results, a participant's board has no votes (only
// their own, myVotes) and no consent counts (consent is null), and others'
// ballots come as their kind alone.

import { LEVELS, STAGES } from './grid.js';

const TRAY = '';

function cellKey(stage, level) {
  return stage ? `${stage}/${level}` : TRAY;
}

function zeroCounts() {
  return { agree: 0, unsure: 0, disagree: 0 };
}

/** fromView builds a board from the contract's board shape at version v. */
export function fromView(view, v) {
  const b = {
    v,
    id: view.id,
    code: view.code,
    title: view.title,
    phase: view.phase,
    focus: view.focus ?? null,
    timerEndsAt: view.timerEndsAt ?? null,
    voteBudget: view.voteBudget,
    stages: {},
    cards: new Map(),
    cells: new Map(),
    participants: view.participants ?? [],
    consent: view.consent ? {} : null,
    myConsent: {},
    resultsShown: view.resultsShown ?? true,
    joinsOpen: view.joinsOpen ?? true,
    approval: !!view.approval,
    consentRound: view.consentRound ?? null,
  };
  for (const { id } of STAGES) {
    const s = view.stages?.find((x) => x.id === id);
    b.stages[id] = { agreedLevel: s?.agreedLevel ?? null, note: s?.note ?? '' };
    if (b.consent) b.consent[id] = { ...zeroCounts(), ...view.consent[id] };
    const mine = view.myConsent?.[id];
    if (mine) b.myConsent[id] = mine;
  }
  for (const c of view.cards ?? []) {
    const { index, ...card } = c; // a card's index is its place in its cell list
    card.stage ??= null;
    card.level ??= null;
    if (card.votesByRole) card.votesByRole = { ...card.votesByRole };
    b.cards.set(card.id, card);
    cell(b, card.stage, card.level).push(card.id);
  }
  return b;
}

/** toView writes a board back in the contract's shape, for keeping it. */
export function toView(b) {
  const cards = [];
  for (const ids of orderedCells(b)) ids.forEach((id, index) => cards.push({ ...b.cards.get(id), index }));
  return {
    id: b.id,
    code: b.code,
    title: b.title,
    phase: b.phase,
    focus: b.focus,
    timerEndsAt: b.timerEndsAt,
    voteBudget: b.voteBudget,
    stages: STAGES.map(({ id }) => ({ id, ...b.stages[id] })),
    cards,
    participants: b.participants,
    consent: b.consent,
    myConsent: b.myConsent,
    resultsShown: b.resultsShown,
    joinsOpen: b.joinsOpen,
    approval: b.approval,
    consentRound: b.consentRound,
  };
}

function* orderedCells(b) {
  for (const s of STAGES) for (const l of LEVELS) yield cell(b, s.id, l.id);
  yield cell(b, null, null);
}

/** cell returns the ordered card ids of a cell, or of the tray. */
export function cell(b, stage, level) {
  const key = cellKey(stage, level);
  let ids = b.cells.get(key);
  if (!ids) {
    ids = [];
    b.cells.set(key, ids);
  }
  return ids;
}

function takeOut(b, card) {
  const ids = cell(b, card.stage, card.level);
  const i = ids.indexOf(card.id);
  if (i >= 0) ids.splice(i, 1);
}

function putIn(b, card, stage, level, index) {
  card.stage = stage ?? null;
  card.level = level ?? null;
  const ids = cell(b, card.stage, card.level);
  ids.splice(Math.min(index ?? ids.length, ids.length), 0, card.id);
}

function removeCard(b, card) {
  takeOut(b, card);
  b.cards.delete(card.id);
}

function hide(card) {
  delete card.text;
  card.hidden = true;
}

/** seesResults says whether the viewer sees votes and consent counts. */
export function seesResults(b, viewer) {
  return b.resultsShown || viewer.role === 'facilitator';
}

// showCards gives hidden cards the text a reveal brought.
function showCards(b, revealed) {
  for (const c of revealed ?? []) {
    const card = b.cards.get(c.id);
    if (card && typeof c.text === 'string') Object.assign(card, { text: c.text, hidden: false });
  }
}

/** votesLeft is how many votes the viewer may still cast. */
export function votesLeft(b) {
  let spent = 0;
  for (const c of b.cards.values()) spent += c.myVotes;
  return Math.max(0, b.voteBudget - spent);
}

// Each applier changes the board for one op kind. f is the op as
// broadcast ({v, id, by, byRole, op, revealed?}); viewer is { id, role }.
// An applier returns false when the op cannot be applied exactly from
// what the client knows; the caller then asks for a fresh board.
const appliers = {
  'card.add'(b, op, f, viewer) {
    const c = op.card;
    if (b.cards.has(c.id)) return;
    const card = { id: c.id, by: f.by, byRole: f.byRole, myVotes: 0, agreed: false, hidden: !!c.hidden };
    if (seesResults(b, viewer)) Object.assign(card, { votes: 0, votesByRole: {} });
    if (!c.hidden) card.text = c.text;
    // As on the server: while approval is on, a participant's card waits.
    if (b.approval && f.byRole !== 'facilitator') card.awaitingApproval = true;
    b.cards.set(card.id, card);
    putIn(b, card, c.stage, c.level);
  },
  'card.edit'(b, op) {
    const card = b.cards.get(op.cardId);
    if (card && typeof op.text === 'string') {
      card.text = op.text;
      card.hidden = false;
    }
  },
  'card.move'(b, op) {
    const card = b.cards.get(op.cardId);
    if (!card) return;
    takeOut(b, card);
    putIn(b, card, op.stage, op.level, op.index);
  },
  'card.delete'(b, op) {
    const card = b.cards.get(op.cardId);
    if (card) removeCard(b, card);
  },
  'card.vote'(b, op, f, viewer) {
    const card = b.cards.get(op.cardId);
    if (!card) return; // also someone else's vote while results are hidden
    if (typeof card.votes === 'number') card.votes += op.delta;
    if (card.votesByRole) card.votesByRole[f.byRole] = (card.votesByRole[f.byRole] ?? 0) + op.delta;
    if (f.by !== undefined && f.by === viewer.id) card.myVotes += op.delta;
  },
  'card.agree'(b, op) {
    const card = b.cards.get(op.cardId);
    if (card) card.agreed = !!op.agreed;
  },
  'stage.agree'(b, op) {
    const st = b.stages[op.stage];
    const level = op.level ?? null;
    if (level !== st.agreedLevel) {
      if (b.consent) b.consent[op.stage] = zeroCounts();
      delete b.myConsent[op.stage];
    }
    if (level === null && b.consentRound === op.stage) b.consentRound = null;
    st.agreedLevel = level;
    if (typeof op.note === 'string') st.note = op.note;
  },
  'consent.set'(b, op, f, viewer) {
    const mine = f.by !== undefined && f.by === viewer.id;
    if (b.consent && f.counts) {
      b.consent[op.stage] = { ...zeroCounts(), ...f.counts };
    } else if (b.consent && mine) {
      // This viewer's own answer, not yet counted by the server: it
      // replaces their earlier one.
      const counts = b.consent[op.stage];
      const before = typeof op.previous === 'string' ? op.previous : b.myConsent[op.stage];
      if (before) counts[before] = Math.max(0, counts[before] - 1);
      counts[op.answer] += 1;
    }
    if (mine) b.myConsent[op.stage] = op.answer;
  },
  'phase.set'(b, op, f, viewer) {
    const was = b.phase;
    b.phase = op.phase;
    const seesAll = viewer.role === 'facilitator';
    if (op.phase === 'private' && was !== 'private' && !seesAll) {
      for (const card of b.cards.values()) if (card.by !== viewer.id) hide(card);
    }
    if (was === 'private' && op.phase !== 'private') {
      showCards(b, f.revealed ?? op.revealed);
      for (const card of b.cards.values()) if (card.hidden && !card.awaitingApproval) return false;
    }
  },
  'results.set'(b, op, f, viewer) {
    b.resultsShown = !!op.shown;
    if (viewer.role === 'facilitator') return;
    if (!op.shown) {
      b.consent = null;
      for (const card of b.cards.values()) {
        delete card.votes;
        delete card.votesByRole;
      }
      return;
    }
    if (!f.votes || !f.consent) return false;
    for (const card of b.cards.values()) {
      card.votes = f.votes[card.id] ?? 0;
      card.votesByRole = { ...f.votesByRole?.[card.id] };
    }
    b.consent = {};
    for (const { id } of STAGES) b.consent[id] = { ...zeroCounts(), ...f.consent[id] };
  },
  'joins.set'(b, op) {
    b.joinsOpen = !!op.open;
  },
  'approval.set'(b, op) {
    b.approval = !!op.required;
  },
  'card.approve'(b, op, f) {
    const card = b.cards.get(op.cardId);
    if (!card) return;
    card.awaitingApproval = false;
    showCards(b, f.revealed);
    if (card.hidden && b.phase !== 'private') return false;
  },
  'consent.round'(b, op) {
    b.consentRound = op.stage ?? null;
    if (op.stage) b.focus = op.stage;
  },
  'cell.sort'(b, op) {
    const ids = cell(b, op.stage ?? null, op.level ?? null);
    const votes = (id) => b.cards.get(id)?.votes ?? 0;
    ids.splice(0, ids.length, ...ids.map((id, i) => [id, i]).sort((x, y) => votes(y[0]) - votes(x[0]) || x[1] - y[1]).map(([id]) => id));
  },
  'focus.set'(b, op) {
    b.focus = op.stage ?? null;
  },
  'timer.set'(b, op) {
    b.timerEndsAt = op.timerEndsAt ?? null;
  },
  'votes.set'(b, op) {
    b.voteBudget = op.budget;
  },
  'participant.remove'(b, op) {
    if (op.removeCards) for (const card of [...b.cards.values()]) if (card.by === op.participantId) removeCard(b, card);
    b.participants = b.participants.filter((p) => p.id !== op.participantId);
    // Their votes leave every card too, but the board does not say whose
    // votes a card holds: only a fresh board is exact.
    return false;
  },
};

/**
 * apply applies one broadcast op at version b.v+1 for viewer ({id, role}).
 * It returns false when the board can no longer be trusted to equal the
 * server's (an unknown kind, votes taken away by a removal, a reveal that
 * left cards hidden): the session then asks for a fresh board.
 */
export function apply(b, f, viewer) {
  b.v = f.v;
  const applier = appliers[f.op?.kind];
  return applier ? applier(b, f.op, f, viewer) !== false : false;
}

/**
 * withPending returns the board as it will be once the viewer's ops that
 * are not accepted yet are: a copy with those ops applied and the cards
 * they touch marked pending ('delete' for a card about to go). It is what
 * the page shows; the board itself stays exact.
 */
export function withPending(b, outbox, viewer) {
  if (!outbox.length) return b;
  const p = structuredClone(b);
  p.pendingStages = new Set();
  for (const { id, op } of outbox) {
    const card = p.cards.get(op.cardId);
    if (op.kind === 'card.delete') {
      if (card) card.pending = 'delete';
      continue;
    }
    if (op.kind === 'consent.set' || op.kind === 'stage.agree') p.pendingStages.add(op.stage);
    const applier = appliers[op.kind];
    if (applier && (card || !op.cardId)) applier(p, op, { v: p.v, id, by: viewer.id, byRole: viewer.role }, viewer);
    const touched = p.cards.get(op.cardId ?? op.card?.id);
    if (touched) touched.pending = true;
  }
  return p;
}
