// The live board screen that the phone page and the facilitator page share:
// it draws the session's board, turns taps into ops, and keeps people told
// (status, phase, timer, votes, what others changed).

import { Announcer } from './announce.js';
import { cell, votesLeft } from './board.js';
import { Composer } from './composer.js';
import { ask } from './dialog.js';
import { byId, h, uuid } from './dom.js';
import { phaseAbout, phaseName, placeName, roleName, stageName } from './grid.js';
import { Picker } from './picker.js';
import { BoardView } from './render.js';
import { canAdd } from './rules.js';
import { showStatus } from './status.js';
import { Countdown } from './timer.js';
import { toast } from './toast.js';
import { tally, totalText } from './voices.js';

const reduceMotion = matchMedia('(prefers-reduced-motion: reduce)');

// moveOp is the card.move that puts a card before another (or last) in a
// place, or null when the card would not move.
function moveOp(b, cardId, stage, level, beforeId) {
  const card = b.cards.get(cardId);
  if (!card || beforeId === cardId) return null;
  const ids = cell(b, stage, level).filter((id) => id !== cardId);
  const at = beforeId ? ids.indexOf(beforeId) : -1;
  const index = at >= 0 ? at : ids.length;
  if (card.stage === (stage ?? null) && card.level === (level ?? null) && cell(b, stage, level).indexOf(cardId) === index) return null;
  return { kind: 'card.move', cardId, stage, level, index };
}

/**
 * Workspace runs the board screen for a session. onRender(view, me) lets
 * the page draw its own parts after each change. options.present(view, me)
 * gives what the board draws (the facilitator page hides private text
 * there); options.sort(stage, level), options.approve(cardId) and
 * options.author(card) add the facilitator's tools.
 */
export class Workspace {
  constructor(session, onRender = () => {}, options = {}) {
    this.session = session;
    this.onRender = onRender;
    this.present = options.present ?? ((view) => view);
    this.lastMove = null; // { cardId, stage, level, index }: where the last card moved came from
    this.selected = null;
    this.focusAfter = null; // card to focus once drawn
    this.focusPicker = false; // give the picked card's panel focus once drawn
    this.shown = {}; // what was last shown of phase, focus and timer, to tell changes
    this.frame = 0;
    this.announcer = new Announcer(document.body);
    this.countdown = new Countdown(byId('timer'), () => this.announcer.say('Time is up'));
    this.board = new BoardView(byId('board'), {
      pick: (id) => this.#pick(id),
      vote: (id, delta) => this.send({ kind: 'card.vote', cardId: id, delta }),
      move: (id, stage, level, before) => this.#move(id, stage, level, before),
      sort: options.sort,
    });
    this.composer = new Composer(byId('composer'), (text, stage, level) => {
      this.send({ kind: 'card.add', card: { id: uuid(), text, stage, level } });
    });
    this.picker = new Picker(byId('picker'), {
      move: (stage, level) => this.#move(this.selected, stage, level, null),
      edit: () => this.#edit(),
      remove: () => this.#remove(),
      agree: (agreed) => this.send({ kind: 'card.agree', cardId: this.selected, agreed }),
      approve: options.approve && (() => options.approve(this.selected)),
      author: options.author,
      done: () => this.#pick(null),
    });
    const pill = byId('conn');
    const banner = byId('banner');
    const status = () => showStatus(pill, banner, session.status, session.outbox.length);
    session.addEventListener('status', status);
    session.addEventListener('outbox', status);
    session.addEventListener('notice', (e) => toast(e.detail.message));
    session.addEventListener('board', (e) => {
      if (session.you) this.announcer.ops(e.detail.frames, session.you.id);
      this.render();
    });
    for (const type of ['outbox', 'presence']) session.addEventListener(type, () => this.render());
    document.addEventListener('keydown', (e) => e.key === 'Escape' && this.selected && this.#pick(null));
    status();
  }

  /** send hands an op to the session, which keeps it until the server accepts it. */
  send(op) {
    this.session.send(op);
  }

  /** render redraws the screen on the next frame; many changes cost one redraw. */
  render() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.#draw());
  }

  /**
   * undoMove puts the card this person moved last back where it was, and
   * returns false when there is nothing to undo.
   */
  undoMove() {
    const last = this.lastMove;
    const view = this.session.view();
    this.lastMove = null;
    if (!last || !view?.cards.has(last.cardId)) return false;
    this.send({ kind: 'card.move', cardId: last.cardId, stage: last.stage, level: last.level, index: last.index });
    this.announcer.say(`Moved back to ${placeName(last.stage, last.level)}`);
    this.render();
    return true;
  }

  #draw() {
    this.frame = 0;
    const me = this.session.you;
    const raw = this.session.view();
    const view = raw && me && this.present(raw, me);
    if (!view || !me) return;
    if (this.selected && !view.cards.has(this.selected)) this.selected = null;
    byId('title').textContent = view.title;
    document.title = `${view.title} · Withboard`;
    this.#tellChanges(view, me);
    byId('phase').replaceChildren(h('strong', { text: `${phaseName(view.phase)}:` }), ' ', phaseAbout(view.phase));
    byId('phase').dataset.phase = view.phase;
    const votes = byId('votes-left');
    votes.hidden = me.role === 'facilitator' || view.phase !== 'open';
    votes.textContent = `Votes left: ${votesLeft(view)} of ${view.voteBudget}`;
    byId('voices').textContent = `Whose voice on the whole board: ${totalText(tally(view))}.`;
    this.countdown.set(view.phase === 'closed' ? null : view.timerEndsAt);
    this.composer.setOpen(canAdd(view, me), view.phase === 'closed' ? '' : 'The facilitator has paused the board. You can add ideas again when it opens.');
    this.board.update(view, me, this.selected);
    this.picker.show(this.selected ? view.cards.get(this.selected) : null, view, me);
    this.onRender(view, me);
    if (this.focusPicker && this.selected) this.picker.focus();
    else if (this.focusAfter) this.board.cardEl(this.focusAfter)?.querySelector('.card-main')?.focus();
    this.focusPicker = false;
    this.focusAfter = null;
  }

  // tellChanges says aloud what changed for everyone, and draws eyes to the
  // stage in focus.
  #tellChanges(view, me) {
    const was = this.shown;
    this.shown = { phase: view.phase, focus: view.focus, timer: view.timerEndsAt };
    if (!was.phase) return;
    if (was.phase !== view.phase) this.announcer.say(`${phaseName(view.phase)}. ${phaseAbout(view.phase)}`);
    if (was.timer !== view.timerEndsAt && view.timerEndsAt) this.announcer.say('The facilitator started a timer');
    if (was.focus !== view.focus && view.focus && me.role !== 'facilitator') {
      this.announcer.say(`The facilitator is looking at ${stageName(view.focus)}`);
      const typing = document.activeElement?.matches('input, textarea, select');
      if (!typing) this.board.stageEl(view.focus).scrollIntoView({ behavior: reduceMotion.matches ? 'auto' : 'smooth', block: 'start' });
    }
  }

  // pick selects a card (or lets it go) and takes focus to the panel that
  // places it, or back to the card.
  #pick(id) {
    const was = this.selected;
    this.selected = id === this.selected ? null : id;
    this.focusPicker = !!this.selected;
    this.focusAfter = this.selected ? null : was;
    this.render();
  }

  #move(id, stage, level, before) {
    const view = this.session.view();
    const op = id && moveOp(view, id, stage, level, before);
    if (op) {
      const card = view.cards.get(id);
      this.lastMove = { cardId: id, stage: card.stage, level: card.level, index: cell(view, card.stage, card.level).indexOf(id) };
      this.send(op);
      this.announcer.say(`Moved to ${placeName(stage, level)}`);
    }
    this.selected = null;
    this.focusAfter = id;
    this.render();
  }

  async #edit() {
    const card = this.session.view().cards.get(this.selected);
    if (!card) return;
    const answer = await ask({ title: 'Edit card', field: { label: 'Card text', value: card.text, max: 280 }, choices: [{ label: 'Save', value: 'save' }] });
    if (answer && answer.text !== card.text) this.send({ kind: 'card.edit', cardId: card.id, text: answer.text });
  }

  async #remove() {
    const card = this.session.view().cards.get(this.selected);
    if (!card) return;
    const whose = card.by === this.session.you.id ? 'your card' : `this card by ${roleName(card.byRole)}`;
    const answer = await ask({ title: 'Delete card?', message: `Delete ${whose}? Votes on it go back to the people who gave them.`, choices: [{ label: 'Delete', value: 'delete', danger: true }] });
    if (!answer) return;
    this.send({ kind: 'card.delete', cardId: card.id });
    this.selected = null;
    this.render();
  }
}
