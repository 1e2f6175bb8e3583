// The consent round on the phone: once the facilitator records the level
// agreed for a stage, each person says whether they go along with it.

import { h } from './dom.js';
import { STAGES, levelName } from './grid.js';
import { canConsent } from './rules.js';

const ANSWERS = [
  { id: 'agree', label: 'Agree' },
  { id: 'unsure', label: 'Not sure' },
  { id: 'disagree', label: 'Disagree' },
];

/** ConsentRound puts a consent question under each stage's name. */
export class ConsentRound {
  /** slotOf(stage) gives the element to fill; send(op) sends a consent.set. */
  constructor(slotOf, send) {
    this.parts = new Map();
    for (const { id } of STAGES) {
      const agreed = h('p', { class: 'agreed-note' });
      const question = h('p', { id: `consent-${id}-q`, class: 'consent-q', text: 'Do you go along with this?' });
      const buttons = ANSWERS.map((a) =>
        h('button', { type: 'button', class: 'quiet', 'aria-pressed': 'false', text: a.label, onclick: () => send({ kind: 'consent.set', stage: id, answer: a.id }) }),
      );
      const mine = h('p', { class: 'hint' });
      const ask = h('div', { class: 'consent-ask', role: 'group', 'aria-labelledby': `consent-${id}-q` }, ...buttons);
      const box = h('div', { class: 'consent', hidden: true }, agreed, question, ask, mine);
      slotOf(id).append(box);
      this.parts.set(id, { box, agreed, question, ask, buttons, mine });
    }
  }

  /** update shows each stage's agreed level and this person's answer. */
  update(b, me) {
    for (const [stage, p] of this.parts) {
      const st = b.stages[stage];
      p.box.hidden = !st.agreedLevel;
      if (!st.agreedLevel) continue;
      p.agreed.replaceChildren('The group settled on ', h('strong', { text: levelName(st.agreedLevel) }), '.', st.note ? ` ${st.note}` : '');
      const answer = b.myConsent[stage];
      const can = canConsent(b, me, stage);
      p.question.hidden = p.ask.hidden = !can;
      ANSWERS.forEach((a, i) => p.buttons[i].setAttribute('aria-pressed', String(a.id === answer)));
      const pending = b.pendingStages?.has(stage) ? ' (not sent yet)' : '';
      const label = ANSWERS.find((a) => a.id === answer)?.label;
      if (!answer) p.mine.textContent = can ? 'Choose one answer.' : 'You did not answer.';
      else p.mine.textContent = `Your answer: ${label}${pending}.${can ? ' You can change it.' : ''}`;
    }
  }
}
