// The panel for the card someone picked: place it without dragging (tap a
// box on the board, or choose stage and level here), edit or delete it,
// and, for the facilitator, mark it as an agreed action.

import { HIDDEN_TEXT } from './card.js';
import { h } from './dom.js';
import { LEVELS, STAGES, placeName } from './grid.js';
import { canAgree, canEdit, canMove } from './rules.js';

/**
 * Picker shows the picked card. on.move(stage, level), on.edit(),
 * on.remove(), on.agree(agreed) and on.done() act on it; on.approve(),
 * when given, lets a card waiting for approval through, and on.author(card)
 * says who wrote it.
 */
export class Picker {
  constructor(parent, on) {
    this.text = h('p', { class: 'picked-text' });
    this.where = h('p', { class: 'hint' });
    this.author = on.author;
    this.by = h('p', { class: 'hint picked-by' });
    this.stage = h('select', { id: 'pick-stage' }, h('option', { value: '', text: 'Not placed' }), ...STAGES.map((s) => h('option', { value: s.id, text: s.name })));
    this.level = h('select', { id: 'pick-level' }, ...LEVELS.map((l) => h('option', { value: l.id, text: l.name })));
    this.placeBox = h(
      'div',
      { class: 'picked-place' },
      h('p', { class: 'hint', text: 'Tap “Put it here” in any box on the board, or choose a place and press Move.' }),
      h('div', { class: 'field' }, h('label', { for: 'pick-stage', text: 'Stage' }), this.stage),
      h('div', { class: 'field' }, h('label', { for: 'pick-level', text: 'Level' }), this.level),
      h('button', { type: 'button', class: 'primary', text: 'Move', onclick: () => on.move(this.stage.value || null, this.stage.value ? this.level.value : null) }),
    );
    this.editBtn = h('button', { type: 'button', text: 'Edit text', onclick: on.edit });
    this.removeBtn = h('button', { type: 'button', class: 'danger', text: 'Delete', onclick: on.remove });
    this.agreeBtn = h('button', { type: 'button', onclick: () => on.agree(this.agreeBtn.dataset.next === 'true') });
    this.approveBtn = h('button', { type: 'button', class: 'primary', text: 'Approve: show it to everyone', hidden: true, onclick: () => on.approve?.() });
    this.title = h('h2', { id: 'picked-title', tabIndex: -1, text: 'Selected card' });
    this.el = h(
      'section',
      { class: 'picked', 'aria-labelledby': 'picked-title', hidden: true },
      this.title,
      this.text,
      this.by,
      this.where,
      this.placeBox,
      h('div', { class: 'actions' }, this.approveBtn, this.editBtn, this.removeBtn, this.agreeBtn, h('button', { type: 'button', class: 'quiet', text: 'Done', onclick: on.done })),
    );
    this.stage.addEventListener('change', () => {
      this.level.disabled = !this.stage.value;
    });
    parent.append(this.el);
  }

  /** focus takes keyboard focus to the panel, leaving the page where it is. */
  focus() {
    this.title.focus({ preventScroll: true });
  }

  /** show presents card (or hides the panel when card is null) as board b allows me. */
  show(card, b, me) {
    const changed = card?.id !== this.cardId;
    this.cardId = card?.id;
    this.el.hidden = !card;
    if (!card) return;
    this.text.textContent = card.hidden ? HIDDEN_TEXT : card.text;
    this.where.textContent = `Now: ${placeName(card.stage, card.level)}.`;
    this.by.hidden = !this.author;
    if (this.author) this.by.textContent = `Written by ${this.author(card)}.`;
    this.approveBtn.hidden = !(card.awaitingApproval && canAgree(b, me)) || !!card.masked; // approve what you can read
    this.placeBox.hidden = !canMove(b, me, card);
    if (changed) {
      this.stage.value = card.stage ?? '';
      this.level.value = card.level ?? 'consultation';
      this.level.disabled = !card.stage;
    }
    this.editBtn.hidden = this.removeBtn.hidden = !canEdit(b, me, card);
    if (card.masked) this.editBtn.hidden = true; // its text is not to be shown on this screen
    this.agreeBtn.hidden = !canAgree(b, me);
    this.agreeBtn.dataset.next = String(!card.agreed);
    this.agreeBtn.textContent = card.agreed ? 'Unmark agreed action' : 'Mark as agreed action';
  }
}
