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
import { NowCard } from './now.js';
import { WorkshopStore } from './store.js';
import { Workspace } from './workspace.js';

const code = normalizeCode(decodeURIComponent(location.pathname.split('/')[2] ?? ''));
const store = new WorkshopStore(code);

// How the stopped screen reads for the ways a session ends for good:
// removed people are not asked back (their own words replace the
// server's, which would repeat the heading); a workshop that takes no one
// new, or is full, may let them in later, as the same person.
const STOPS = {
  removed: {
    heading: 'You were removed from this workshop',
    message: 'The facilitator removed you from this workshop, so this phone will not join it again.',
    hint: 'If you think this is a mistake, talk to the facilitator.',
  },
  locked: { heading: 'You cannot join just now', hint: 'This phone remembers how you chose to join. When the facilitator lets people in, try again.', retry: true },
  full: { heading: 'This workshop is full', hint: 'This phone remembers how you chose to join. If a place frees up, try again.', retry: true },
  deleted: { heading: 'This workshop was deleted' },
  badJoin: { rejoin: true },
};

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
  // Redrawn only when the stage changes, so that a link someone is on
  // (keyboard focus, a finger on its way) is not swapped under them.
  if (!note.hidden && note.dataset.stage !== view.focus) {
    note.dataset.stage = view.focus;
    note.replaceChildren(`Everyone is looking at ${stageName(view.focus)}. `, h('a', { class: 'go-there', href: `#stage-${view.focus}`, text: 'Go there' }));
  }
}

// stopped shows why the session ended for good, and what the person can
// do: join again as someone new (a bad join), try again as themselves
// (joins closed, workshop full), or nothing here (removed). moveFocus
// takes a screen reader from the board it was on to the news.
function stopped(code, message, moveFocus = false) {
  const stop = STOPS[code] ?? {};
  byId('stopped-heading').textContent = stop.heading ?? 'You are no longer connected';
  byId('stopped-message').textContent = stop.message ?? message ?? '';
  byId('stopped-hint').textContent = stop.hint ?? '';
  byId('stopped-hint').hidden = !stop.hint;
  byId('rejoin').hidden = !stop.rejoin;
  byId('retry').hidden = !stop.retry;
  byId('rejoin').onclick = () => {
    store.forget();
    location.reload();
  };
  byId('retry').onclick = () => location.reload();
  show('stopped');
  if (moveFocus) byId('stopped-heading').focus();
}

// keepInSight keeps the now card, the timer and the focus note stuck to
// the top while the board scrolls, as long as they take at most a third
// of the screen. With larger text, or while the panel of a picked card
// takes the bottom of the screen, only the timer and focus note stay.
// Focus and "Go there" links scroll past what is stuck.
function keepInSight() {
  const bar = byId('now-bar');
  const strip = bar.querySelector('.now-strip');
  const fit = () => {
    const whole = [...bar.children].reduce((sum, el) => sum + el.offsetHeight, 0);
    const compact = whole > innerHeight / 3 || !!document.querySelector('.picked:not([hidden])');
    bar.classList.toggle('compact', compact);
    document.documentElement.style.setProperty('--stuck', `${compact ? strip.offsetHeight : whole}px`);
  };
  const watch = new ResizeObserver(fit);
  for (const el of bar.children) watch.observe(el);
  addEventListener('resize', fit);
  return fit;
}

// boardScreen runs the live board; justJoined moves focus to its title
// once drawn, so that a screen reader starts at the top of the new screen.
function boardScreen(justJoined = false) {
  const session = new Session({ code, store });
  let consent = null;
  let now = null;
  let focusTitle = justJoined;
  const fit = keepInSight();
  const workspace = new Workspace(session, (view, me) => {
    now.update(view, me);
    consent.update(view, me);
    focusNote(view);
    // With no votes to give, "Votes left: 0 of 0" would only worry people.
    if (!view.voteBudget) byId('votes-left').hidden = true;
    fit();
    if (focusTitle) {
      focusTitle = false;
      byId('title').focus();
    }
  });
  const send = (op) => workspace.send(op);
  now = new NowCard(byId('now'), {
    summaryHref: `/s/${encodeURIComponent(code)}`,
    send,
    say: (s) => workspace.announcer.say(s),
    write: () => byId('new-text').focus(),
  });
  consent = new ConsentRound((stage) => workspace.board.slot(stage), send);
  session.addEventListener('stop', (e) => {
    // The session has forgotten a removed person; the mark keeps this
    // phone from joining again as someone new.
    if (e.detail.code === 'removed') store.saveIdentity({ removed: true });
    stopped(e.detail.code, e.detail.message, true);
  });
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
else if (store.identity()?.removed) stopped('removed');
else if (store.identity()?.role) boardScreen();
else joinScreen();
