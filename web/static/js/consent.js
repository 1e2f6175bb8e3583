// The consent round on the phone: once the facilitator records the level
// agreed for a stage and asks the room about it, each person says whether
// they go along with it. No question shows before it is asked; afterwards
// only the person's own answer stays.

import { h } from './dom.js';
import { STAGES, levelName } from './grid.js';
import { canConsent } from './rules.js';

/** ANSWERS are the consent answers, as the contract names them and as people read them. */
export const ANSWERS = [
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

  /**
   * update asks for an answer on the stage of the consent round, and
   * shows elsewhere the answer this person gave, if any.
   */
  update(b, me) {
    for (const [stage, p] of this.parts) {
      const st = b.stages[stage];
      const answer = b.myConsent[stage];
      const asking = b.consentRound === stage && canConsent(b, me, stage);
      p.box.hidden = !st.agreedLevel || !(asking || answer);
      if (p.box.hidden) continue;
      p.agreed.replaceChildren('The group settled on ', h('strong', { text: levelName(st.agreedLevel) }), '.', st.note ? ` ${st.note}` : '');
      p.question.hidden = p.ask.hidden = !asking;
      ANSWERS.forEach((a, i) => p.buttons[i].setAttribute('aria-pressed', String(a.id === answer)));
      const pending = b.pendingStages?.has(stage) ? ' (not sent yet)' : '';
      const label = ANSWERS.find((a) => a.id === answer)?.label;
      if (!answer) p.mine.textContent = 'Choose one answer.';
      else p.mine.textContent = `Your answer: ${label}${pending}.${asking ? ' You can change it while the facilitator is asking.' : ''}`;
    }
  }
}
