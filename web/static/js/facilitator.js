// The facilitator's page at /f/{id}#key=KEY: the steps of the workshop,
// the board, how to join (code, link, QR), who is here, and the controls
// that run the session. The key is read from the URL fragment, kept in
// this tab's sessionStorage only (it survives a reload, not a closed tab),
// and taken out of the address bar so that a projected screen does not
// show it. Other people's private cards are face down on this screen
// unless the facilitator turns them up: the projector may be showing it.

import { ApiError, call } from './api.js';
import { formatCode } from './code.js';
import { Session } from './conn.js';
import { Controls } from './controls.js';
import { ask } from './dialog.js';
import { byId } from './dom.js';
import { exportPanel } from './export.js';
import { Guide } from './guide.js';
import { roleName } from './grid.js';
import { Moderation } from './moderation.js';
import { People } from './people.js';
import { StageAgreement } from './stageagree.js';
import { WorkshopStore } from './store.js';
import { toast } from './toast.js';
import { Workspace } from './workspace.js';

const id = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const store = new WorkshopStore(`f:${id}`);
const KEY = `withboard:key:${id}`;

// tabMemory is a value kept in this tab's sessionStorage, which may be
// unavailable (then it lasts as long as the page).
function tabMemory(name) {
  let value = null;
  return {
    get() {
      try {
        return sessionStorage.getItem(name) ?? value;
      } catch {
        return value;
      }
    },
    set(v) {
      value = v;
      try {
        sessionStorage.setItem(name, v);
      } catch {
        // kept in the page only
      }
    },
  };
}

const keyMemory = tabMemory(KEY);
const keptMemory = tabMemory(`${KEY}:kept`);

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

// takeKey moves the key from the fragment into this tab's memory. It
// returns the key and whether it just arrived (a new workshop, or the
// link opened again).
function takeKey() {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('key');
  if (fromUrl) {
    keyMemory.set(fromUrl);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const kept = store.identity();
  if (kept?.key) {
    // Kept by an older page in this browser's lasting storage: move it to the tab.
    if (!fromUrl && !keyMemory.get()) keyMemory.set(kept.key);
    store.saveIdentity({ key: undefined });
  }
  store.saveIdentity({ role: 'facilitator', name: '' });
  return { key: keyMemory.get() ?? '', arrived: !!fromUrl };
}

// Authors names who wrote a card, for the facilitator only: the name they
// gave, or "anonymous service user 3", numbered in the order people joined.
class Authors {
  constructor() {
    this.numbers = new Map(); // participant id -> number among the anonymous of their role
    this.counts = {};
  }

  #number(people) {
    for (const p of people) {
      if (!p.name && !this.numbers.has(p.id)) {
        this.counts[p.role] = (this.counts[p.role] ?? 0) + 1;
        this.numbers.set(p.id, this.counts[p.role]);
      }
    }
  }

  /** person is what a person is called: their name, or "Anonymous staff 2". */
  person(p, people) {
    if (p.name) return p.name;
    this.#number(people);
    return `Anonymous ${roleName(p.role)} ${this.numbers.get(p.id)}`;
  }

  /** card says who wrote a card. */
  card(card, people, me) {
    if (card.by === me.id) return 'you';
    const p = people.find((x) => x.id === card.by);
    if (!p) return `a ${roleName(card.byRole)} who is no longer in the workshop`;
    if (p.name) return `${p.name} (${roleName(p.role)})`;
    this.#number(people);
    return `anonymous ${roleName(p.role)} ${this.numbers.get(p.id)}`;
  }
}

// mask turns other people's private cards, and cards waiting for
// approval, face down in what this screen draws. The board is not changed.
function mask(view, me) {
  const hide = (c) => !c.hidden && c.by !== me.id && (view.phase === 'private' || c.awaitingApproval);
  if (![...view.cards.values()].some(hide)) return view;
  const cards = new Map();
  for (const [cid, c] of view.cards) cards.set(cid, hide(c) ? { ...c, text: undefined, hidden: true, masked: true } : c);
  return { ...view, cards };
}

function joinBox(code, links) {
  const link = links?.joinUrl ?? `${location.origin}/j/${code}`;
  byId('join-code').textContent = formatCode(code);
  byId('join-link').href = link;
  byId('join-link').textContent = link.replace(/^https?:\/\//, '');
  const qr = byId('qr');
  qr.src = `/api/workshops/${encodeURIComponent(code)}/qr.svg`;
  qr.alt = `QR code: scan it to join with the code ${formatCode(code)}`;
  byId('loopback').hidden = !links?.loopback;
}

function privateLink(links, key) {
  return `${links?.facilitatorUrl ?? `${location.origin}/f/${id}`}#key=${key}`;
}

async function copyLink(link) {
  try {
    await navigator.clipboard.writeText(link);
    toast('Copied. Keep this link private: anyone who has it can run the workshop.');
  } catch {
    await ask({ title: 'Your private link', message: link, choices: [], cancel: 'Close' });
  }
}

// keepLink shows, once per new link, the facilitator's private link with
// ways to keep it: it is the only way back in.
function keepLink(workshop, link, arrived) {
  const box = byId('keep-link');
  byId('keep-link-url').value = link;
  const subject = `Your link to run “${workshop.title}”`;
  const body = `Open this link to run the workshop again. Keep it private: anyone who has it can run the workshop.\n\n${link}\n`;
  byId('keep-link-mail').href = `mailto:?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
  byId('keep-link-copy').addEventListener('click', () => copyLink(link));
  byId('keep-link-done').addEventListener('click', () => {
    keptMemory.set('yes');
    box.hidden = true;
    byId('title').focus();
  });
  box.hidden = !(arrived && !keptMemory.get());
}

// privateToggle is the explicit switch that shows private text on this
// screen; it starts off on every load.
function privateToggle(onChange) {
  const button = byId('show-private');
  let on = false;
  button.addEventListener('click', async () => {
    if (!on) {
      const answer = await ask({
        title: 'Show private cards on this screen?',
        message: 'Everyone who can see this screen will read other people’s private ideas and cards waiting for approval. If a projector shows this screen, open the board on a second screen first.',
        choices: [{ label: 'Show them here', value: 'show' }],
        cancel: 'Keep them hidden',
      });
      if (!answer) return;
    }
    on = !on;
    button.setAttribute('aria-pressed', String(on));
    button.textContent = on ? 'Hide private cards on this screen' : 'Show private cards on this screen';
    document.body.classList.toggle('showing-private', on);
    onChange(on);
  });
  return () => on;
}

function start(workshop, key, links, arrived) {
  joinBox(workshop.code, links);
  keepLink(workshop, privateLink(links, key), arrived);
  const session = new Session({ code: id, key, store });
  const authors = new Authors();
  const people = () => session.board?.participants ?? [];
  const author = (card) => authors.card(card, people(), session.you);
  let parts = null;
  const showing = privateToggle(() => workspace.render());
  const workspace = new Workspace(
    session,
    (view, me) => {
      // After the end the same code leads phones to the summary.
      byId('joinbox-title').textContent = view.phase === 'closed' ? 'Scan to read what was agreed' : 'Join on your phone';
      parts.guide.update(view);
      parts.controls.update(view);
      parts.agreement.update(view);
      parts.moderation.update(view, { showText: showing(), canUndo: !!workspace.lastMove });
      parts.people.update(view.participants, me);
    },
    {
      // Board only is for projecting: private text stays face down there, whatever the switch says.
      present: (view, me) => (showing() && !document.body.classList.contains('board-only') ? view : mask(view, me)),
      sort: (stage, level) => send({ kind: 'cell.sort', stage, level }),
      approve: (cardId) => send({ kind: 'card.approve', cardId }),
      author,
    },
  );
  const send = (op) => workspace.send(op);
  parts = {
    guide: new Guide(byId('guide'), send, tabMemory(`withboard:step:${id}`), () => download('html')),
    controls: new Controls(byId('controls'), send),
    agreement: new StageAgreement((stage) => workspace.board.slot(stage), send),
    moderation: new Moderation(byId('moderation'), { send, undo: () => workspace.undoMove(), approve: (cardId) => send({ kind: 'card.approve', cardId }) }),
    people: new People(byId('people'), byId('people-summary'), send, (p) => authors.person(p, people())),
  };
  const download = exportPanel(byId('export'), id, key, workshop.code, () => {
    session.leave();
    stopped('The workshop was deleted. Nothing of it is kept.');
  });
  session.addEventListener('stop', (e) => stopped(e.detail.message));
  byId('copy-link').addEventListener('click', () => copyLink(privateLink(links, key)));
  byId('open-wall').addEventListener('click', () => {
    const wall = window.open(`/w/${encodeURIComponent(workshop.code)}#key=${encodeURIComponent(key)}`, `withboard-wall-${workshop.code}`);
    if (!wall) toast('The browser blocked the new window. Allow pop-ups for this page, or open the wall link on the other screen.');
  });
  const boardOnly = byId('board-only');
  boardOnly.addEventListener('click', () => {
    const on = document.body.classList.toggle('board-only');
    boardOnly.setAttribute('aria-pressed', String(on));
    workspace.render();
  });
  show('board-screen');
  workspace.render();
  session.start();
}

async function main() {
  const { key, arrived } = takeKey();
  if (!key) {
    return missing(
      'This page needs your private link, the one you were given when you made the workshop (it ends with #key=…). This tab no longer has it: open that link again. Without it, nobody can run this workshop.',
    );
  }
  let workshop;
  try {
    workshop = await call('GET', `/api/workshops/${encodeURIComponent(id)}`);
  } catch (err) {
    return missing(err instanceof ApiError && err.status === 404 ? 'This workshop does not exist, or it was deleted.' : err.message);
  }
  // The links phones can reach; without them the page still runs on this address.
  const links = await call('GET', `/api/workshops/${encodeURIComponent(id)}/links`, { token: key }).catch(() => null);
  start(workshop, key, links, arrived);
}

main();
