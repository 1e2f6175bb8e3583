// Short messages that appear for a moment at the bottom of the screen, for
// a change the server refused or a problem worth knowing about.

import { h } from './dom.js';

const SHOW_FOR = 6000; // ms

let box = null;

/** toast shows a short plain message, and reads it out to screen readers. */
export function toast(message) {
  if (!box) {
    box = h('div', { class: 'toasts', role: 'alert' });
    document.body.append(box);
  }
  const item = h('p', { class: 'toast', text: message });
  box.append(item);
  setTimeout(() => item.remove(), SHOW_FOR);
}
