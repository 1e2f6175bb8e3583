// The board on the screen: four stages by three levels, each cell with its
// prompt and its cards, and the tray of cards not placed yet. Wide screens
// show a grid; phones show a list, stage by stage. The skeleton is built
// once; update() moves and repaints card elements in place.

import { cell, votesLeft } from './board.js';
import { cardEl, paintCard } from './card.js';
import { h } from './dom.js';
import { CREDIT, LEVELS, STAGES, levelName, placeName, prompt } from './grid.js';
import { tally, voiceLines } from './voices.js';

function countText(n) {
  return n === 1 ? '1 card' : `${n} cards`;
}

/** BoardView draws a board into root and reports what people do with it. */
export class BoardView {
  /**
   * on.pick(cardId) selects a card; on.vote(cardId, delta) votes;
   * on.move(cardId, stage, level, beforeId) places a card before another,
   * or last when beforeId is null. stage and level are null for the tray.
   * on.sort(stage, level), when given, offers to sort a cell by votes.
   */
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.cardEls = new Map();
    this.zones = []; // { el, list, count, stage, level }
    this.stageEls = new Map();
    this.slots = new Map();
    this.voices = new Map(); // stage id -> its "whose voice" line
    this.selected = null;
    this.dragging = null;
    const grid = h('div', { class: 'grid' }, this.#levels(), ...STAGES.map((s) => this.#stage(s)));
    root.append(grid, this.#tray(), h('p', { class: 'credit', text: CREDIT }));
    root.addEventListener('click', (e) => this.#click(e));
    this.#dragAndDrop();
  }

  /** slot is the space beside a stage's name where a page adds its controls. */
  slot(stage) {
    return this.slots.get(stage);
  }

  /** stageEl is a stage's section, for scrolling to it. */
  stageEl(stage) {
    return this.stageEls.get(stage);
  }

  /** cardEl finds the element of a card, e.g. to give it focus. */
  cardEl(id) {
    return this.cardEls.get(id);
  }

  /**
   * update shows board b to viewer me, with card selected picked for
   * placing.
   */
  update(b, me, selected) {
    this.selected = selected;
    const ctx = { me, selected, left: votesLeft(b) };
    const seen = new Set();
    for (const zone of this.zones) {
      const ids = cell(b, zone.stage, zone.level);
      ids.forEach((id, i) => {
        seen.add(id);
        let el = this.cardEls.get(id);
        if (!el) {
          el = cardEl(id);
          this.cardEls.set(id, el);
        }
        paintCard(el, b.cards.get(id), b, ctx);
        if (zone.list.children[i] !== el) zone.list.insertBefore(el, zone.list.children[i] ?? null);
      });
      while (zone.list.children.length > ids.length) zone.list.lastElementChild.remove();
      zone.count.textContent = countText(ids.length);
      zone.place.hidden = !selected;
      if (zone.sort) zone.sort.hidden = ids.length < 2 || !b.resultsShown || b.phase === 'closed' || b.phase === 'private';
      zone.el.classList.toggle('agreed-level', !!zone.stage && b.stages[zone.stage].agreedLevel === zone.level);
    }
    for (const [id, el] of this.cardEls) {
      if (!seen.has(id)) {
        el.remove();
        this.cardEls.delete(id);
      }
    }
    for (const [id, el] of this.stageEls) el.classList.toggle('focus', b.focus === id && b.phase !== 'closed');
    const voices = tally(b);
    for (const [id, el] of this.voices) {
      el.hidden = !voices[id]; // an empty stage has no one's voice to show
      const lines = voiceLines(voices[id]);
      const text = lines.join('\n');
      if (el.dataset.text !== text) {
        el.dataset.text = text;
        el.replaceChildren(h('span', { class: 'voice-label', text: 'Whose voice' }), ...lines.map((l) => h('span', { class: 'voice-line', text: l })));
      }
    }
    this.root.classList.toggle('placing', !!selected);
  }

  #levels() {
    return h(
      'ul',
      { class: 'levels', 'aria-label': 'What the levels mean' },
      h('li', { class: 'levels-corner', text: 'Levels of involvement' }),
      ...LEVELS.map((l) => h('li', { class: `level-head level-${l.id}` }, h('strong', { text: l.name }), ' ', h('span', { text: l.about }))),
    );
  }

  #stage(s) {
    const slot = h('div', { class: 'stage-slot' });
    this.slots.set(s.id, slot);
    const voice = h('p', { class: 'stage-voice' });
    this.voices.set(s.id, voice);
    const head = h(
      'div',
      { class: 'stage-head' },
      h('h3', { id: `stage-${s.id}-title`, text: s.name }),
      h('p', { class: 'stage-about', text: s.about }),
      h('p', { class: 'focus-badge', text: 'Everyone is looking here now' }),
      voice,
      slot,
    );
    const section = h('section', { class: 'stage', id: `stage-${s.id}`, 'aria-labelledby': `stage-${s.id}-title` }, head);
    for (const l of LEVELS) section.append(this.#zone(s.id, l.id, h('p', { class: 'prompt', text: prompt(s.id, l.id) })));
    this.stageEls.set(s.id, section);
    return section;
  }

  #tray() {
    return this.#zone(null, null, h('p', { class: 'prompt', text: 'Cards wait here until someone puts them on the board.' }));
  }

  // zone makes a place cards can be in: a cell, or the tray when stage is null.
  #zone(stage, level, about) {
    const count = h('span', { class: 'count' });
    const title = stage ? h('h4', { class: 'cell-title' }, h('span', { class: 'cell-level', text: levelName(level) }), ' ', count) : h('h3', { class: 'cell-title' }, 'Not placed yet ', count);
    const badge = stage ? h('p', { class: 'agreed-badge', text: 'Agreed level for this stage' }) : null;
    const list = h('ol', { class: 'cards' });
    const place = h('button', { type: 'button', class: 'place', 'data-action': 'place', hidden: true }, stage ? `Put it here: ${placeName(stage, level)}` : 'Put it back in the tray');
    const sort =
      stage && this.on.sort
        ? h('button', { type: 'button', class: 'quiet sort', 'data-action': 'sort', hidden: true, 'aria-label': `Sort ${placeName(stage, level)} by votes`, text: 'Sort by votes' })
        : null;
    const el = h(stage ? 'div' : 'section', { class: stage ? `cell level-${level}` : 'tray', 'data-stage': stage ?? '', 'data-level': level ?? '' }, title, badge, about, list, place, sort);
    this.zones.push({ el, list, count, place, sort, stage, level });
    return el;
  }

  #click(e) {
    const action = e.target.closest('[data-action]');
    const cardId = e.target.closest('.card')?.dataset.id;
    const zone = e.target.closest('[data-stage]');
    if (action?.dataset.action === 'pick') return this.on.pick(cardId);
    if (action?.dataset.action === 'vote') return this.on.vote(cardId, Number(action.dataset.delta));
    if (action?.dataset.action === 'sort') return this.on.sort(zone.dataset.stage, zone.dataset.level);
    if (zone && this.selected && (action?.dataset.action === 'place' || !action)) {
      this.on.move(this.selected, zone.dataset.stage || null, zone.dataset.level || null, null);
    }
  }

  // Drag and drop is a shortcut for a mouse; picking and placing works everywhere.
  #dragAndDrop() {
    const zoneOf = (e) => (this.dragging ? e.target.closest('[data-stage]') : null);
    let over = null;
    const mark = (zone) => {
      over?.classList.remove('drop');
      over = zone;
      over?.classList.add('drop');
    };
    this.root.addEventListener('dragstart', (e) => {
      const card = e.target.closest?.('.card');
      if (!card) return;
      this.dragging = card.dataset.id;
      e.dataTransfer.setData('text/plain', card.dataset.id);
      e.dataTransfer.effectAllowed = 'move';
    });
    this.root.addEventListener('dragend', () => {
      this.dragging = null;
      mark(null);
    });
    this.root.addEventListener('dragover', (e) => {
      const zone = zoneOf(e);
      if (!zone) return;
      e.preventDefault();
      mark(zone);
    });
    this.root.addEventListener('drop', (e) => {
      const zone = zoneOf(e);
      if (!zone) return;
      e.preventDefault();
      const before = e.target.closest('.card')?.dataset.id ?? null;
      this.on.move(this.dragging, zone.dataset.stage || null, zone.dataset.level || null, before);
      this.dragging = null;
      mark(null);
    });
  }
}
