// Taking the record away, and ending it: the facilitator's exports and the
// button that deletes the workshop for good.

import { ApiError, call, download } from './api.js';
import { ask } from './dialog.js';
import { h } from './dom.js';
import { toast } from './toast.js';

const FORMATS = [
  { id: 'html', label: 'Printable page', ext: 'html' },
  { id: 'md', label: 'Summary (Markdown)', ext: 'md' },
  { id: 'csv', label: 'Spreadsheet (CSV)', ext: 'csv' },
  { id: 'json', label: 'Data (JSON)', ext: 'json' },
];

/**
 * exportPanel fills parent with export buttons and the delete button for
 * workshop id. It returns download(formatId), for other buttons that save
 * the record.
 */
export function exportPanel(parent, id, key, code, onDeleted) {
  const get = async (f) => {
    try {
      await download(`/api/workshops/${encodeURIComponent(id)}/export?format=${f.id}`, key, `withboard-${code}.${f.ext}`);
    } catch (err) {
      toast(err instanceof ApiError ? err.message : 'The export did not work. Try again.');
    }
  };
  const remove = async () => {
    const answer = await ask({
      title: 'Delete this workshop?',
      message: 'The board, the cards and everyone’s answers are erased for good, and everyone is disconnected. Export first if you want a record.',
      choices: [{ label: 'Delete for good', value: 'delete', danger: true }],
    });
    if (!answer) return;
    try {
      await call('DELETE', `/api/workshops/${encodeURIComponent(id)}`, { token: key });
      onDeleted();
    } catch (err) {
      toast(err.message);
    }
  };
  parent.append(
    h('div', { class: 'actions' }, ...FORMATS.map((f) => h('button', { type: 'button', text: f.label, onclick: () => get(f) }))),
    h(
      'p',
      {},
      h('a', { href: `/s/${encodeURIComponent(code)}`, target: '_blank', text: 'The take-home summary for participants' }),
      ' opens for everyone once the workshop is finished. It names no one.',
    ),
    h('button', { type: 'button', class: 'danger', text: 'Delete workshop', onclick: remove }),
  );
  return (format) => get(FORMATS.find((f) => f.id === format));
}
