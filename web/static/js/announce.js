// A polite live region that tells screen reader users what other people
// changed, gathered into one short sentence every few seconds so that a
// busy board does not talk over them.

import { h } from './dom.js';

const EVERY = 4000; // ms between announcements at most

const WORDS = {
  'card.add': ['card added', 'cards added'],
  'card.edit': ['card edited', 'cards edited'],
  'card.move': ['card moved', 'cards moved'],
  'card.delete': ['card removed', 'cards removed'],
  'card.vote': ['vote changed', 'votes changed'],
  'card.agree': ['card marked', 'cards marked'],
};

/** Announcer gathers changes and says them at most once every few seconds. */
export class Announcer {
  constructor(parent) {
    this.region = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    parent.append(this.region);
    this.counts = new Map();
    this.sentences = [];
    this.timer = 0;
    this.last = 0;
  }

  /** ops counts the ops of others (frames not by me) for the next sentence. */
  ops(frames, me) {
    for (const f of frames) {
      if (f.by === me || !WORDS[f.op.kind]) continue;
      this.counts.set(f.op.kind, (this.counts.get(f.op.kind) ?? 0) + 1);
    }
    this.#schedule();
  }

  /** say adds a whole sentence, such as a phase change, to the next announcement. */
  say(sentence) {
    this.sentences.push(sentence);
    this.#schedule();
  }

  #schedule() {
    if (this.timer || (!this.counts.size && !this.sentences.length)) return;
    const wait = Math.max(0, this.last + EVERY - Date.now());
    this.timer = setTimeout(() => this.#flush(), wait);
  }

  #flush() {
    const parts = [...this.counts].map(([kind, n]) => `${n} ${WORDS[kind][n === 1 ? 0 : 1]}`);
    const text = [...this.sentences, parts.join(', ')].filter(Boolean).join('. ');
    this.counts.clear();
    this.sentences = [];
    this.timer = 0;
    this.last = Date.now();
    this.region.textContent = text ? `${text}.` : '';
  }
}
