// The facilitator's page at /f/{id}#key=KEY: the board big enough for a
// projector, how to join (code, link, QR), who is here, and the controls
// that run the session. The key is read from the URL fragment, kept on
// this computer only, and taken out of the address bar so that a
// projected screen does not show it.

import { ApiError, call } from './api.js';
import { formatCode } from './code.js';
import { Session } from './conn.js';
import { Controls } from './controls.js';
import { ask } from './dialog.js';
import { byId } from './dom.js';
import { exportPanel } from './export.js';
import { People } from './people.js';
import { StageAgreement } from './stageagree.js';
import { WorkshopStore } from './store.js';
import { toast } from './toast.js';
import { Workspace } from './workspace.js';

const id = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const store = new WorkshopStore(`f:${id}`);

function show(screen) {
  for (const s of ['loading', 'missing', 'stopped', 'board-screen']) byId(s).hidden = s !== screen;
}

function missing(message) {
  byId('missing-message').textContent = message;
  show('missing');
}

function stopped(message) {
  byId('stopped-message').textContent = message;
  show('stopped');
}

// takeKey moves the key from the fragment into this computer's storage.
function takeKey() {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('key');
  if (fromUrl) {
    store.saveIdentity({ key: fromUrl, role: 'facilitator', name: '' });
    history.replaceState(null, '', location.pathname + location.search);
  }
  return store.identity()?.key ?? '';
}

function joinBox(code) {
  const link = `${location.origin}/j/${code}`;
  byId('join-code').textContent = formatCode(code);
  byId('join-link').href = link;
  byId('join-link').textContent = link.replace(/^https?:\/\//, '');
  const qr = byId('qr');
  qr.src = `/api/workshops/${encodeURIComponent(code)}/qr.svg`;
  qr.alt = `QR code: scan it to join with the code ${formatCode(code)}`;
}

async function copyLink(key) {
  const link = `${location.origin}/f/${id}#key=${key}`;
  try {
    await navigator.clipboard.writeText(link);
    toast('Copied. Keep this link private: anyone who has it can run the workshop.');
  } catch {
    await ask({ title: 'Your private link', message: link, choices: [], cancel: 'Close' });
  }
}

function start(workshop, key) {
  joinBox(workshop.code);
  const session = new Session({ code: id, key, store });
  let parts = null;
  const workspace = new Workspace(session, (view, me) => {
    parts.controls.update(view);
    parts.agreement.update(view);
    parts.people.update(view.participants, me);
  });
  const send = (op) => workspace.send(op);
  parts = {
    controls: new Controls(byId('controls'), send),
    agreement: new StageAgreement((stage) => workspace.board.slot(stage), send),
    people: new People(byId('people'), byId('people-summary'), send),
  };
  exportPanel(byId('export'), id, key, workshop.code, () => {
    session.leave();
    stopped('The workshop was deleted. Nothing of it is kept.');
  });
  session.addEventListener('stop', (e) => stopped(e.detail.message));
  byId('copy-link').addEventListener('click', () => copyLink(key));
  const boardOnly = byId('board-only');
  boardOnly.addEventListener('click', () => {
    const on = document.body.classList.toggle('board-only');
    boardOnly.setAttribute('aria-pressed', String(on));
  });
  show('board-screen');
  workspace.render();
  session.start();
}

async function main() {
  const key = takeKey();
  if (!key) return missing('This page needs the private link you were given when you made the workshop.');
  let workshop;
  try {
    workshop = await call('GET', `/api/workshops/${encodeURIComponent(id)}`);
  } catch (err) {
    return missing(err instanceof ApiError && err.status === 404 ? 'This workshop does not exist, or it was deleted.' : err.message);
  }
  start(workshop, key);
}

main();
