// One card on the screen: its text (or its back, while hidden), who wrote
// it by role, its votes, and whether it is agreed or still waiting to be
// sent. The element is made once per card and repainted on every change,
// so that keyboard focus stays where it is.

import { h } from './dom.js';
import { roleName } from './grid.js';
import { canAgree, canEdit, canMove, canVote } from './rules.js';

/** HIDDEN_TEXT stands in for the text of a card that is face down. */
export const HIDDEN_TEXT = 'Someone’s idea, hidden until the reveal';

/**
 * cardEl makes the element for the card with this id. The vote buttons say
 * what they do in words, and name their card to a screen reader.
 */
export function cardEl(id) {
  const textId = `card-${id}-text`;
  const main = h(
    'button',
    { type: 'button', class: 'card-main', 'data-action': 'pick', 'aria-pressed': 'false' },
    h('span', { class: 'card-text', id: textId }),
    h('span', { class: 'card-meta' }),
  );
  const vote = (delta, label) => h('button', { type: 'button', class: 'vote', 'data-action': 'vote', 'data-delta': delta, 'aria-describedby': textId, text: label });
  const down = vote('-1', 'Take back');
  const up = vote('1', 'Vote');
  const votes = h('div', { class: 'card-votes' }, down, h('span', { class: 'my-votes' }), up);
  return h('li', { class: 'card', 'data-id': id }, main, votes);
}

function meta(card) {
  const parts = [roleName(card.byRole)];
  if (typeof card.votes === 'number') parts.push(card.votes === 1 ? '1 vote' : `${card.votes} votes`);
  if (card.awaitingApproval) parts.push('waiting for the facilitator to approve it');
  if (card.agreed) parts.push('agreed action');
  if (card.pending === 'delete') parts.push('being removed, not sent yet');
  else if (card.pending) parts.push('not sent yet');
  return parts.join(' · ');
}

/**
 * paintCard brings a card element up to date. b is the board shown; ctx
 * holds the viewer (me), the card picked for placing (selected) and the
 * viewer's votes left (left).
 */
export function paintCard(el, card, b, { me, selected, left }) {
  const [main, votes] = el.children;
  const [text, info] = main.children;
  text.textContent = card.hidden ? HIDDEN_TEXT : card.text;
  info.textContent = meta(card);
  const movable = canMove(b, me, card);
  main.disabled = !(movable || canEdit(b, me, card) || canAgree(b, me));
  main.setAttribute('aria-pressed', String(card.id === selected));
  el.draggable = movable;
  el.className = 'card';
  el.classList.add(`by-${card.byRole}`);
  el.classList.toggle('hidden-card', !!card.hidden);
  el.classList.toggle('agreed', !!card.agreed);
  el.classList.toggle('pending', !!card.pending);
  el.classList.toggle('selected', card.id === selected);
  votes.hidden = !canVote(b, me);
  if (votes.hidden) return;
  const [down, mine, up] = votes.children;
  mine.textContent = `Your votes: ${card.myVotes}`;
  down.disabled = card.myVotes <= 0;
  up.disabled = left <= 0 || card.pending === 'delete';
}
