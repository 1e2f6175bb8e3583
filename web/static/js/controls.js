// The facilitator's controls for running the session: phase, the stage
// everyone looks at, a timer, and how many votes each person has.

import { h } from './dom.js';
import { PHASE_IDS, STAGES, phaseAbout, phaseName } from './grid.js';

const MAX_MINUTES = 120;

// submit makes a form handler; the browser has already checked min and max.
function submit(act) {
  return (e) => {
    e.preventDefault();
    act();
  };
}

/** Controls draws the run-the-session panel into parent and sends facilitator ops. */
export class Controls {
  constructor(parent, send) {
    this.phases = PHASE_IDS.map((id) =>
      h('button', { type: 'button', 'aria-pressed': 'false', title: phaseAbout(id), text: phaseName(id), onclick: () => send({ kind: 'phase.set', phase: id }) }),
    );
    this.focus = h('select', { id: 'focus-stage' }, h('option', { value: '', text: 'No stage' }), ...STAGES.map((s) => h('option', { value: s.id, text: s.name })));
    this.focus.addEventListener('change', () => send({ kind: 'focus.set', stage: this.focus.value || null }));
    const minutes = h('input', { id: 'timer-minutes', type: 'number', min: 1, max: MAX_MINUTES, value: 5, required: true, inputMode: 'numeric' });
    this.budget = h('input', { id: 'vote-budget', type: 'number', min: 0, max: 20, required: true, inputMode: 'numeric' });
    this.finished = h('p', { class: 'hint', text: 'The workshop is finished: the board is kept as it is. Choose Open to take it up again.' });
    this.rest = h(
      'div',
      {},
      h('div', { class: 'field' }, h('label', { for: 'focus-stage', text: 'Draw everyone to' }), this.focus),
      h(
        'form',
        { class: 'inline', onsubmit: submit(() => send({ kind: 'timer.set', seconds: Number(minutes.value) * 60 })) },
        h('label', { for: 'timer-minutes', text: 'Timer (minutes)' }),
        minutes,
        h('button', { type: 'submit', text: 'Start' }),
        h('button', { type: 'button', class: 'quiet', text: 'Stop', onclick: () => send({ kind: 'timer.set', seconds: null }) }),
      ),
      h(
        'form',
        { class: 'inline', onsubmit: submit(() => send({ kind: 'votes.set', budget: Number(this.budget.value) })) },
        h('label', { for: 'vote-budget', text: 'Votes per person' }),
        this.budget,
        h('button', { type: 'submit', text: 'Set' }),
      ),
    );
    parent.append(
      h('div', { class: 'phase-buttons', role: 'group', 'aria-label': 'Phase' }, ...this.phases),
      h('p', { class: 'hint', text: 'Private: each person sees only their own ideas until you go back to Open. Paused: only you can change the board.' }),
      this.finished,
      this.rest,
    );
  }

  /** update shows the board's current phase, focus and vote budget. */
  update(b) {
    PHASE_IDS.forEach((id, i) => this.phases[i].setAttribute('aria-pressed', String(b.phase === id)));
    this.finished.hidden = b.phase !== 'closed';
    this.rest.hidden = b.phase === 'closed';
    if (document.activeElement !== this.focus) this.focus.value = b.focus ?? '';
    if (document.activeElement !== this.budget) this.budget.value = b.voteBudget;
  }
}
