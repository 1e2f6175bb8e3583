// The facilitator's record of each stage: the level of involvement the
// group agreed, a short note, the consent round that asks the room about
// it, and how the room answered.

import { h } from './dom.js';
import { answered, askable } from './guide.js';
import { LEVELS, STAGES } from './grid.js';

/** StageAgreement puts agreement controls and consent counts under each stage's name. */
export class StageAgreement {
  /** slotOf(stage) gives the element to fill; send(op) sends a stage.agree. */
  constructor(slotOf, send) {
    this.parts = new Map();
    for (const { id, name } of STAGES) {
      const level = h('select', { id: `agree-${id}` }, h('option', { value: '', text: 'Not agreed yet' }), ...LEVELS.map((l) => h('option', { value: l.id, text: l.name })));
      const note = h('textarea', { id: `note-${id}`, rows: 2, maxLength: 1000 });
      const counts = h('p', { class: 'counts' });
      const round = h('button', {
        type: 'button',
        class: 'consent-round',
        onclick: () => send({ kind: 'consent.round', stage: round.dataset.on === 'true' ? null : id }),
      });
      const fields = h(
        'div',
        {},
        h('label', { for: `agree-${id}`, text: 'Agreed level' }),
        level,
        h('label', { for: `note-${id}`, text: 'Note (optional)' }),
        note,
        h('button', { type: 'submit', text: 'Save' }),
        round,
      );
      const form = h('form', { class: 'stage-agree', 'aria-label': `Agreement for ${name}` }, fields, counts);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        send({ kind: 'stage.agree', stage: id, level: level.value || null, note: note.value.trim() });
      });
      slotOf(id).append(form);
      this.parts.set(id, { name, level, note, counts, form, fields, round });
    }
  }

  /**
   * update shows what is agreed, without overwriting what the facilitator
   * is typing; once the workshop is finished only the record shows.
   */
  update(b) {
    for (const [stage, p] of this.parts) {
      const st = b.stages[stage];
      p.fields.hidden = b.phase === 'closed';
      if (!p.form.contains(document.activeElement)) {
        p.level.value = st.agreedLevel ?? '';
        p.note.value = st.note;
      }
      const on = b.consentRound === stage;
      p.round.hidden = !st.agreedLevel;
      p.round.dataset.on = String(on);
      p.round.textContent = on ? `End the consent round on ${p.name}` : `Ask for consent on ${p.name}`;
      const c = b.consent[stage];
      const of = on ? ` (${answered(b, stage)} of ${Math.max(askable(b), answered(b, stage))} answered)` : '';
      p.counts.textContent = st.agreedLevel ? `Consent: ${c.agree} agree, ${c.unsure} not sure, ${c.disagree} disagree${of}` : '';
    }
  }
}
