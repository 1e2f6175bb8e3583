// The "now" card at the top of the phone's board: what is being asked of
// this person right now, in one plain sentence, with the controls to do
// it when there are any (the answers of a consent round, the summary
// link at the end).

import { votesLeft } from './board.js';
import { ANSWERS } from './consent.js';
import { h } from './dom.js';
import { levelName, stageName } from './grid.js';
import { canConsent } from './rules.js';

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// consentNow is the now of a consent round on stage.
function consentNow(b, me, stage) {
  const level = levelName(b.stages[stage].agreedLevel);
  const now = { key: `consent:${stage}`, stage };
  if (!canConsent(b, me, stage)) return { ...now, text: `The group is answering for ${stageName(stage)}: it settled on ${level}.` };
  now.ask = true;
  now.text = `Answer for ${stageName(stage)}: the group settled on ${level}. Do you go along with it?`;
  now.note = b.stages[stage].note;
  const answer = ANSWERS.find((a) => a.id === b.myConsent[stage]);
  if (answer) {
    const pending = b.pendingStages?.has(stage) ? ' (not sent yet)' : '';
    now.answered = `You answered ${answer.label}${pending}. You can change it while the facilitator is asking.`;
  }
  return now;
}

/**
 * nowState says what board b asks of me now: { key, text } where key
 * names the kind of moment (it changes when the moment does, not when a
 * count in text does), plus, in a consent round, stage, note (the
 * facilitator's words on it), ask (answers are offered) and answered
 * (what this person chose); write when ideas are asked for; summary at
 * the end.
 */
export function nowState(b, me) {
  if (b.phase === 'closed') return { key: 'closed', text: 'The workshop has ended. Thank you.', summary: true };
  const round = b.consentRound;
  if (round && b.stages[round]?.agreedLevel) return consentNow(b, me, round);
  if (b.phase === 'locked') return { key: 'locked', text: 'Wait for the facilitator. The board is paused for now.' };
  if (b.phase === 'private') {
    return { key: 'private', text: 'Add your ideas. Until the facilitator shows them all, only you and the facilitator can read them.', write: true };
  }
  if (b.voteBudget > 0 && me.role !== 'facilitator') {
    const left = votesLeft(b);
    const text = left
      ? `Vote for the ideas that matter most to you: ${plural(left, 'vote', 'votes')} left. Tap Vote on a card.`
      : 'You have used all your votes. Tap Take back on a card to vote for another.';
    return { key: 'vote', text };
  }
  return { key: 'add', text: 'Add your ideas and put them where you think they fit. Everyone sees them as they come in.', write: true };
}

/**
 * NowCard draws nowState into its element. send(op) sends an answer;
 * write() takes the person to the form for a new idea; say(sentence)
 * tells screen reader users when the moment changes, except with the
 * phase, which the page already says aloud.
 */
export class NowCard {
  constructor(el, { summaryHref, send, say, write }) {
    this.say = say;
    this.text = h('p', { id: 'now-text', class: 'now-text' });
    this.note = h('p', { class: 'now-note', hidden: true });
    this.write = h('button', { type: 'button', class: 'quiet now-write', hidden: true, text: 'Write an idea', onclick: write });
    this.buttons = ANSWERS.map((a) =>
      h('button', { type: 'button', class: 'quiet', 'aria-pressed': 'false', text: a.label, onclick: () => send({ kind: 'consent.set', stage: this.stage, answer: a.id }) }),
    );
    this.ask = h('div', { class: 'now-answers', role: 'group', 'aria-labelledby': 'now-text', hidden: true }, ...this.buttons);
    this.answered = h('p', { class: 'now-answered', hidden: true });
    this.summary = h('p', { class: 'now-summary', hidden: true }, h('a', { class: 'link-button', href: summaryHref, text: 'See what the group agreed' }));
    el.append(this.text, this.note, this.ask, this.answered, this.write, this.summary);
    this.shown = null; // { key, phase } last drawn
  }

  /** update draws what board b asks of me now. */
  update(b, me) {
    const now = nowState(b, me);
    this.stage = now.stage;
    this.text.textContent = now.text;
    this.note.hidden = !now.note;
    this.note.textContent = now.note ? `The facilitator’s note: ${now.note}` : '';
    this.write.hidden = !now.write;
    this.ask.hidden = !now.ask;
    for (const [i, a] of ANSWERS.entries()) this.buttons[i].setAttribute('aria-pressed', String(!!now.answered && b.myConsent[now.stage] === a.id));
    this.answered.hidden = !now.answered;
    this.answered.textContent = now.answered ?? '';
    this.summary.hidden = !now.summary;
    const was = this.shown;
    this.shown = { key: now.key, phase: b.phase };
    if (was && was.key !== now.key && was.phase === b.phase) this.say(now.text);
  }
}
