// A modal question: a message, an optional text box and a few answers.
// Built on <dialog>, which keeps focus inside and gives it back on close.

import { chars, h } from './dom.js';

/**
 * ask shows a dialog and resolves with { choice, text } for the answer
 * chosen, or null when cancelled. field, if given, is { label, value, max }
 * and its text must be 1..max characters for any answer but cancel.
 */
export function ask({ title, message, field, choices, cancel = 'Cancel' }) {
  return new Promise((resolve) => {
    const error = h('p', { class: 'error', id: 'dialog-error', hidden: true });
    const box = field
      ? h('textarea', { id: 'dialog-text', rows: 4, value: field.value ?? '', 'aria-describedby': 'dialog-error' })
      : null;
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'dialog-title', text: title }),
      message ? h('p', { text: message }) : null,
      field ? h('label', { for: 'dialog-text', text: field.label }) : null,
      box,
      error,
      h(
        'div',
        { class: 'actions' },
        ...choices.map((c) => h('button', { type: 'submit', value: c.value, class: c.danger ? 'danger' : 'primary', text: c.label })),
        h('button', { type: 'submit', value: '', class: 'quiet', text: cancel }),
      ),
    );
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' }, form);
    form.addEventListener('submit', (e) => {
      if (!box || !e.submitter?.value) return;
      const n = chars(box.value);
      if (n >= 1 && n <= field.max) return;
      e.preventDefault();
      error.textContent = n < 1 ? 'Write something first.' : `That is ${n} characters; the most is ${field.max}.`;
      error.hidden = false;
      box.focus();
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(dlg.returnValue ? { choice: dlg.returnValue, text: box?.value.trim() } : null);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}
