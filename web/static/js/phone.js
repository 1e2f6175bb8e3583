// The participant's page at /j/{code}: choose how to appear, then the live
// board. A phone that joined before comes straight back as the same person.

import { ApiError, call } from './api.js';
import { normalizeCode } from './code.js';
import { Session } from './conn.js';
import { ConsentRound } from './consent.js';
import { ask } from './dialog.js';
import { byId, h } from './dom.js';
import { stageName } from './grid.js';
import { nickname } from './nickname.js';
import { WorkshopStore } from './store.js';
import { Workspace } from './workspace.js';

const code = normalizeCode(decodeURIComponent(location.pathname.split('/')[2] ?? ''));
const store = new WorkshopStore(code);

function show(id) {
  for (const s of ['loading', 'join-screen', 'ended', 'missing', 'stopped', 'board-screen']) byId(s).hidden = s !== id;
}

async function joinScreen() {
  let workshop;
  try {
    workshop = await call('GET', `/api/workshops/${encodeURIComponent(code)}`);
  } catch (err) {
    byId('missing-message').textContent =
      err instanceof ApiError && err.status === 404 ? `No workshop has the code ${code || '(none)'}. It may have been deleted, or the code may have a typo.` : err.message;
    return show('missing');
  }
  if (workshop.phase === 'closed') {
    // Over before this phone joined: lead to what was agreed, not to a form.
    byId('ended-title').textContent = `“${workshop.title}” is over, so it can no longer be joined.`;
    byId('ended-link').href = `/s/${encodeURIComponent(workshop.code)}`;
    return show('ended');
  }
  byId('join-title').textContent = `You are joining “${workshop.title}”.`;
  const name = byId('join-name');
  const take = byId('take-nickname');
  let suggestion = nickname();
  const offer = () => (take.textContent = `Use a nickname: ${suggestion}`);
  offer();
  take.addEventListener('click', () => {
    name.value = suggestion;
    suggestion = nickname();
    offer();
  });
  byId('clear-name').addEventListener('click', () => {
    name.value = '';
    name.focus();
  });
  byId('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const role = new FormData(e.target).get('role');
    const error = byId('join-error');
    error.hidden = !!role;
    if (!role) {
      error.textContent = 'Choose one: you use the service, or you work here.';
      return e.target.querySelector('input[name=role]').focus();
    }
    store.saveIdentity({ name: name.value.trim(), role });
    boardScreen(true);
  });
  show('join-screen');
}

function focusNote(view) {
  const note = byId('focus-note');
  note.hidden = !view.focus || view.phase === 'closed';
  if (!note.hidden) {
    note.replaceChildren(`The facilitator is looking at ${stageName(view.focus)}. `, h('a', { href: `#stage-${view.focus}`, text: 'Go there' }));
  }
}

function summary(view) {
  byId('summary').hidden = view.phase !== 'closed';
  byId('summary-link').href = `/s/${encodeURIComponent(code)}`;
}

function stopped(code, message) {
  byId('stopped-message').textContent = message;
  const rejoin = byId('rejoin');
  rejoin.hidden = code !== 'badJoin';
  rejoin.addEventListener('click', () => {
    store.forget();
    location.reload();
  });
  show('stopped');
}

// boardScreen runs the live board; justJoined moves focus to its title
// once drawn, so that a screen reader starts at the top of the new screen.
function boardScreen(justJoined = false) {
  const session = new Session({ code, store });
  let consent = null;
  let focusTitle = justJoined;
  const workspace = new Workspace(session, (view, me) => {
    consent.update(view, me);
    focusNote(view);
    summary(view);
    if (focusTitle) {
      focusTitle = false;
      byId('title').focus();
    }
  });
  consent = new ConsentRound(
    (stage) => workspace.board.slot(stage),
    (op) => workspace.send(op),
  );
  session.addEventListener('stop', (e) => stopped(e.detail.code, e.detail.message));
  byId('leave').addEventListener('click', async () => {
    const answer = await ask({
      title: 'Leave this workshop?',
      message: 'This phone forgets you. Your cards stay on the board, but you will not be able to change them. You can join again as someone new.',
      choices: [{ label: 'Leave and forget me', value: 'leave', danger: true }],
      cancel: 'Stay',
    });
    if (!answer) return;
    session.leave();
    location.assign('/');
  });
  show('board-screen');
  workspace.render();
  session.start();
}

if (!code) location.replace('/');
else if (store.identity()?.role) boardScreen();
else joinScreen();
