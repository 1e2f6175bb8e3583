// Small helpers for building the page without innerHTML, so that text
// people type can never become markup.

/**
 * h makes an element. attrs sets properties (class, text, hidden, ...) or,
 * for names with a dash or "for", attributes; children are nodes or strings.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = value;
    else if (name.includes('-') || name === 'for' || name === 'role') el.setAttribute(name, value === true ? '' : value);
    else el[name] = value;
  }
  el.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** byId finds an element of the page, and fails loudly when it is missing. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
}

/** uuid makes a random id; crypto.randomUUID is missing on plain http. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** chars counts what the server counts: code points after trimming. */
export function chars(text) {
  return [...text.trim()].length;
}
