// The form for adding an idea: its text, and where it goes (the tray, to
// decide later, or straight into a cell).

import { chars, h } from './dom.js';
import { LEVELS, STAGES, placeName } from './grid.js';

const MAX = 280;

// placeOptions fills a select with the tray and the twelve cells, as "stage/level".
function placeOptions(select, trayLabel) {
  select.append(h('option', { value: '', text: trayLabel }));
  for (const s of STAGES) {
    const group = h('optgroup', { label: `${s.name}: ${s.about}` });
    for (const l of LEVELS) group.append(h('option', { value: `${s.id}/${l.id}`, text: `${s.name}, ${l.name}` }));
    select.append(group);
  }
}

/** Composer is the add-a-card form; onAdd(text, stage, level) sends the card. */
export class Composer {
  constructor(parent, onAdd) {
    this.text = h('textarea', { id: 'new-text', rows: 3, 'aria-describedby': 'new-help new-count' });
    this.count = h('p', { id: 'new-count', class: 'hint', text: `0 of ${MAX} characters` });
    this.error = h('p', { id: 'new-error', class: 'error', role: 'alert', hidden: true });
    this.place = h('select', { id: 'new-place' });
    placeOptions(this.place, 'Not placed yet (decide later)');
    this.button = h('button', { type: 'submit', class: 'primary', text: 'Add card' });
    this.added = h('p', { class: 'added', role: 'status' });
    this.closed = h('p', { class: 'hint', hidden: true });
    this.fields = h(
      'div',
      {},
      h('label', { for: 'new-text', text: 'Your idea' }),
      this.text,
      h('p', { id: 'new-help', class: 'hint', text: 'One idea per card, for example: “People who use the service help write the survey questions.”' }),
      this.count,
      h('label', { for: 'new-place', text: 'Where it goes' }),
      this.place,
      this.error,
      this.button,
      this.added,
    );
    this.form = h('form', { class: 'composer', 'aria-labelledby': 'new-title' }, h('h2', { id: 'new-title', text: 'Add an idea' }), this.fields, this.closed);
    this.parent = parent;
    parent.append(this.form);
    this.text.addEventListener('input', () => {
      this.count.textContent = `${chars(this.text.value)} of ${MAX} characters`;
      this.error.hidden = true;
      this.added.textContent = '';
    });
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const n = chars(this.text.value);
      if (n < 1 || n > MAX) {
        this.error.textContent = n < 1 ? 'Write your idea first.' : `That is ${n} characters; a card holds ${MAX}.`;
        this.error.hidden = false;
        this.text.focus();
        return;
      }
      const [stage, level] = this.place.value ? this.place.value.split('/') : [null, null];
      onAdd(this.text.value.trim(), stage, level);
      this.added.textContent = `Card added${stage ? ` to ${placeName(stage, level)}` : ', not placed yet'}. You can write another.`;
      this.text.value = '';
      this.count.textContent = `0 of ${MAX} characters`;
      this.text.focus();
    });
  }

  /**
   * setOpen shows the form, or in its place why ideas cannot be added
   * now; with no reason (the workshop is over) the form goes altogether.
   */
  setOpen(open, reason = '') {
    this.parent.hidden = !open && !reason;
    this.fields.hidden = !open;
    this.closed.hidden = open;
    this.closed.textContent = reason;
    if (!open) this.added.textContent = '';
  }
}
