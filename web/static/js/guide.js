// The guided run on the facilitator's page: the steps of a workshop in
// order, each with the buttons that take it and a line that says what
// they will do. The step the room is in is highlighted; the board decides
// it where it can (private ideas, a consent round, the end), and otherwise
// it is the step the facilitator took last.

import { ask } from './dialog.js';
import { h } from './dom.js';
import { STAGES, stageName } from './grid.js';

const VOTES = 3; // votes each, when the facilitator has not chosen a number
const IDEAS_MINUTES = 5;

function nextStage(b, test) {
  return STAGES.find((s) => test(b.stages[s.id], s.id))?.id ?? null;
}

/** answered counts the consent answers given for a stage. */
export function answered(b, stage) {
  const c = b.consent?.[stage];
  return c ? c.agree + c.unsure + c.disagree : 0;
}

/** askable counts the people a consent round asks: participants here now. */
export function askable(b) {
  return b.participants.filter((p) => p.role !== 'facilitator' && p.online).length;
}

// STEPS are the workshop's steps; each act(b) returns the buttons shown
// while it is the current step, as [label, what it does, ops or handler].
const STEPS = [
  {
    id: 'welcome',
    title: 'Welcome and join',
    about: 'Show the join code and the QR code. People scan it or type the code on their phone. Wait until the people list shows everyone.',
    act: (b) => [
      {
        label: b.joinsOpen && b.phase === 'open' ? 'The board is open for joining' : 'Open the board for joining',
        does: 'Lets new people in and opens the board.',
        ops: [!b.joinsOpen && { kind: 'joins.set', open: true }, b.phase !== 'open' && { kind: 'phase.set', phase: 'open' }],
      },
    ],
  },
  {
    id: 'ideas',
    title: 'Ideas in private',
    about: `Everyone writes ideas on their phone. Nobody sees anyone else’s until you reveal them. A ${IDEAS_MINUTES}-minute timer starts.`,
    act: (b) => [
      {
        label: b.phase === 'private' ? 'Private ideas are on' : 'Start private ideas',
        does: b.phase === 'private' ? 'When people are done, go on to the reveal.' : 'Other people’s ideas stay face down on every screen.',
        ops: b.phase !== 'private' && [
          { kind: 'phase.set', phase: 'private' },
          { kind: 'timer.set', seconds: IDEAS_MINUTES * 60 },
        ],
      },
    ],
  },
  {
    id: 'reveal',
    then: 'vote', // a reveal is done at once: the room moves on
    title: 'Reveal',
    about: 'Every idea appears on the board at once, with no names on them.',
    act: () => [
      {
        label: 'Reveal all ideas',
        does: 'Turns every card face up for everyone.',
        ops: [
          { kind: 'phase.set', phase: 'open' },
          { kind: 'timer.set', seconds: null },
        ],
      },
    ],
  },
  {
    id: 'vote',
    title: 'Discuss and vote',
    about: 'Talk the ideas through and move them into place. People vote on their phones; the counts stay hidden until you show them.',
    act: (b) => [
      {
        label: 'Start voting',
        does: `Each person gets ${b.voteBudget || VOTES} votes. Counts are hidden for now.`,
        ops: [b.phase !== 'open' && { kind: 'phase.set', phase: 'open' }, !b.voteBudget && { kind: 'votes.set', budget: VOTES }, b.resultsShown && { kind: 'results.set', shown: false }],
      },
      {
        label: 'Show the votes',
        does: 'Everyone sees how many votes each card has. Nobody sees who voted.',
        ops: [!b.resultsShown && { kind: 'results.set', shown: true }],
        hidden: b.resultsShown,
      },
    ],
  },
  {
    id: 'agree',
    title: 'Agree a level per stage',
    about: 'Stage by stage, settle which level of involvement fits, and record it under the stage’s name on the board.',
    act: (b) => {
      const stage = nextStage(b, (st, id) => !st.agreedLevel && id !== b.focus) ?? nextStage(b, (st) => !st.agreedLevel);
      return [
        {
          label: stage ? `Look at ${stageName(stage)}` : 'Every stage has a level',
          does: stage ? 'Draws everyone’s screen to that stage.' : 'You can still change any of them.',
          ops: [stage && { kind: 'focus.set', stage }],
        },
      ];
    },
  },
  {
    id: 'consent',
    title: 'Consent',
    about: 'Ask whether everyone can go along with the level agreed for a stage. Phones ask the question; you see how many have answered.',
    act: (b) => {
      if (b.consentRound) {
        const stage = b.consentRound;
        return [
          {
            label: `End the round on ${stageName(stage)}`,
            does: `${answered(b, stage)} of ${Math.max(askable(b), answered(b, stage))} answered. Phones stop asking.`,
            ops: [{ kind: 'consent.round', stage: null }],
          },
          {
            label: 'Show the answers',
            does: 'Everyone sees how many agree, are not sure or disagree. Nobody sees who.',
            ops: [{ kind: 'results.set', shown: true }],
            hidden: b.resultsShown,
          },
        ];
      }
      const stage = nextStage(b, (st, id) => st.agreedLevel && answered(b, id) === 0) ?? nextStage(b, (st) => st.agreedLevel);
      return [
        {
          label: stage ? `Ask for consent on ${stageName(stage)}` : 'Agree a level first',
          does: stage ? 'Every phone asks: do you go along with it?' : 'A consent round asks about an agreed level.',
          ops: [stage && { kind: 'consent.round', stage }],
        },
      ];
    },
  },
  {
    id: 'close',
    title: 'Close and export',
    about: 'Finish the workshop: the board is kept as it is, and everyone gets a link to a summary with no names. Then download the record.',
    act: (b) => [
      b.phase === 'closed' && {
        label: 'Download the printable record',
        does: 'An A4 page with the grid, the agreed level per stage and every card. Other formats are under “Keep the record”.',
        run: 'record',
      },
      {
        label: b.phase === 'closed' ? 'The workshop is finished' : 'Finish the workshop',
        does: b.phase === 'closed' ? 'Choose Open under “More controls” to take it up again.' : 'Nobody can change the board after this, unless you open it again.',
        ops: [b.consentRound && { kind: 'consent.round', stage: null }, b.phase !== 'closed' && { kind: 'phase.set', phase: 'closed' }],
        confirm: b.phase !== 'closed' && {
          title: 'Finish the workshop?',
          message: 'The board becomes read only for everyone, and phones show the link to the summary.',
          choices: [{ label: 'Finish', value: 'finish' }],
        },
      },
    ],
  },
];

/** Guide draws the steps into parent; send(op) sends a facilitator op. */
export class Guide {
  /**
   * memory keeps the step taken last across reloads of this tab;
   * record() downloads the printable record.
   */
  constructor(parent, send, memory, record) {
    this.send = send;
    this.record = record;
    this.memory = memory;
    this.taken = memory.get() ?? 'welcome';
    this.wasPrivate = false;
    this.board = null;
    this.list = h('ol', { class: 'steps' });
    parent.append(this.list);
    this.shown = '';
  }

  /** current is the step the room is in. */
  current(b) {
    if (b.phase === 'closed') return 'close';
    if (b.consentRound) return 'consent';
    if (b.phase === 'private') {
      this.wasPrivate = true;
      return this.taken === 'reveal' ? 'reveal' : 'ideas';
    }
    if (this.wasPrivate && (this.taken === 'ideas' || this.taken === 'reveal')) this.#remember('vote'); // revealed, by any button
    this.wasPrivate = false;
    return this.taken;
  }

  /** update redraws the steps for board b when what they say changed. */
  update(b) {
    this.board = b;
    const now = this.current(b);
    const steps = STEPS.map((s, i) => ({ s, next: STEPS[i + 1], actions: s.id === now ? s.act(b) : [] }));
    const key = JSON.stringify([now, steps.map(({ actions }) => actions.filter(Boolean).map((a) => [a.label, a.does, a.hidden]))]);
    if (key === this.shown) return;
    const focused = this.list.contains(document.activeElement) ? document.activeElement.dataset.step : null;
    this.shown = key;
    this.list.replaceChildren(...steps.map(({ s, next, actions }) => this.#step(s, next, s.id === now, actions)));
    if (focused) this.list.querySelector(`[data-step="${focused}"]`)?.focus();
  }

  #step(s, next, current, actions) {
    const go = current
      ? h('h3', { class: 'step-title', text: s.title })
      : h('button', { type: 'button', class: 'quiet step-go', 'data-step': s.id, 'aria-label': `Go to the step: ${s.title}`, text: s.title, onclick: () => this.#take(s.id) });
    const item = h('li', { class: current ? 'step current' : 'step', 'aria-current': current ? 'step' : null }, go);
    if (!current) return item;
    item.append(h('p', { class: 'step-about', text: s.about }));
    for (const [i, a] of actions.filter(Boolean).entries()) {
      if (a.hidden) continue;
      const ops = (a.ops || []).filter(Boolean);
      const describedBy = `step-${s.id}-${i}`;
      if (a.run) {
        item.append(
          h('button', { type: 'button', class: 'primary step-act', 'data-step': `${s.id}-${i}`, 'aria-describedby': describedBy, text: a.label, onclick: () => this.record() }),
          h('p', { class: 'hint', id: describedBy, text: a.does }),
        );
        continue;
      }
      item.append(
        h('button', {
          type: 'button',
          class: i === 0 ? 'primary step-act' : 'step-act',
          'data-step': `${s.id}-${i}`,
          'aria-describedby': describedBy,
          disabled: !ops.length,
          text: a.label,
          onclick: () => this.#act(s, ops, a.confirm),
        }),
        h('p', { class: 'hint', id: describedBy, text: a.does }),
      );
    }
    if (next) item.append(h('button', { type: 'button', class: 'quiet step-next', 'data-step': `${s.id}-next`, text: `Next: ${next.title}`, onclick: () => this.#take(next.id) }));
    return item;
  }

  #remember(id) {
    this.taken = id;
    this.memory.set(id);
  }

  #take(id) {
    this.#remember(id);
    if (this.board) this.update(this.board);
  }

  async #act(s, ops, confirm) {
    if (confirm && !(await ask(confirm))) return;
    for (const op of ops) this.send(op);
    this.#take(s.then ?? s.id);
  }
}
