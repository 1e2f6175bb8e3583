// The facilitator's say over who takes part and what everyone sees: joins
// open or closed, cards approved before they are shown, results shown or
// hidden, undo of the facilitator's last move, and the cards waiting for
// approval.

import { h } from './dom.js';

function toggle(label, onchange) {
  const input = h('input', { type: 'checkbox', onchange: () => onchange(input.checked) });
  return { input, el: h('label', { class: 'switch' }, input, ' ', label) };
}

/**
 * Moderation draws its panel into parent. send(op) sends an op; undo()
 * puts back the last card moved and returns false when there was none;
 * approve(id) lets a waiting card through.
 */
export class Moderation {
  constructor(parent, { send, undo, approve }) {
    this.joins = toggle('Let new people join', (on) => send({ kind: 'joins.set', open: on }));
    this.joinsNote = h('p', { class: 'hint', id: 'joins-note' });
    this.approval = toggle('Approve new cards before everyone sees them', (on) => send({ kind: 'approval.set', required: on }));
    this.results = toggle('Show votes and consent counts to everyone', (on) => send({ kind: 'results.set', shown: on }));
    this.resultsNote = h('p', { class: 'hint', id: 'results-note' });
    this.undoBtn = h('button', { type: 'button', id: 'undo-move', disabled: true, text: 'Undo my last move', onclick: () => undo() || (this.undoBtn.disabled = true) });
    this.queueTitle = h('h3', { id: 'queue-title' });
    this.queue = h('ul', { class: 'queue', 'aria-labelledby': 'queue-title' });
    this.queueNote = h('p', { class: 'hint' });
    this.queueBox = h('div', { class: 'queue-box', hidden: true }, this.queueTitle, this.queueNote, this.queue);
    this.approve = approve;
    this.shownQueue = '';
    parent.append(this.joins.el, this.joinsNote, this.approval.el, this.queueBox, this.results.el, this.resultsNote, this.undoBtn);
  }

  /**
   * update shows board b. showText says whether card text may be shown on
   * this screen; canUndo whether there is a move to take back.
   */
  update(b, { showText, canUndo }) {
    this.joins.input.checked = b.joinsOpen;
    this.joinsNote.textContent = b.joinsOpen ? 'Anyone with the code can join.' : 'Joining is closed: only people already here can come back.';
    this.approval.input.checked = b.approval;
    this.results.input.checked = b.resultsShown;
    this.resultsNote.textContent = b.resultsShown ? 'Everyone sees the counts, never who voted or answered what.' : 'Only you see the counts for now.';
    this.undoBtn.disabled = !canUndo || b.phase === 'closed';
    const waiting = [...b.cards.values()].filter((c) => c.awaitingApproval);
    const key = JSON.stringify([showText, waiting.map((c) => [c.id, c.text])]);
    this.queueBox.hidden = !waiting.length;
    if (key === this.shownQueue) return;
    this.shownQueue = key;
    this.queueTitle.textContent = waiting.length === 1 ? '1 card waits for approval' : `${waiting.length} cards wait for approval`;
    this.queueNote.textContent = showText ? '' : 'Their text is hidden on this screen. Turn on “Show private cards on this screen” to read them.';
    const focused = this.queue.contains(document.activeElement);
    this.queue.replaceChildren(
      ...waiting.map((c) =>
        h(
          'li',
          { class: 'queue-card' },
          h('span', { class: 'queue-text', text: showText ? c.text : 'Text hidden on this screen' }),
          h('button', { type: 'button', class: 'primary', disabled: !showText, text: 'Approve', 'aria-label': showText ? `Approve: ${c.text}` : 'Approve', onclick: () => this.approve(c.id) }),
        ),
      ),
    );
    if (focused) this.queue.querySelector('button:not([disabled])')?.focus();
  }
}
