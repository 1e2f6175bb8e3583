// The wall at /w/{code}: the board for a projector or a shared screen,
// the whole grid on one screen, no scrolling, from the back of the room.
// It joins as a wall, so the server sends it only what any participant
// could see; the page shows what it receives, with no names. The
// facilitator's page may open it as /w/{code}#key=KEY so that it can
// connect while joins are closed; the key is kept for this tab only and
// taken out of the address bar, so that a projected screen never shows it.

import { call } from './api.js';
import { cell } from './board.js';
import { formatCode, normalizeCode } from './code.js';
import { Session } from './conn.js';
import { byId, h } from './dom.js';
import { CREDIT, LEVELS, STAGES, phaseAbout, phaseName, roleName, stageName } from './grid.js';
import { WorkshopStore } from './store.js';
import { Countdown } from './timer.js';

const code = normalizeCode(decodeURIComponent(location.pathname.split('/')[2] ?? ''));
const KEY_NAME = `withboard:wall-key:${code}`;

/** HIDDEN stands in for the text of a card that is face down. */
const HIDDEN = 'An idea, hidden until the reveal';

// The cards' text size, as parts of the screen's height: one size for the
// whole wall, as large as lets every cell show all its cards, never
// below the floor, where a cell shows what fits and "+N more".
const FLOOR_PX = 14;
const FLOOR = 0.0185; // 20 px at 1080 high
const CEILING = 0.04;

// Rows: the focused stage's row is at least this much taller than any
// other, and takes at most this part of the height when cells overflow.
const FOCUS_OVER = 1.15;
const FOCUS_MAX = 0.45;
// The focused stage's part of any height to spare, against 1 for others.
const FOCUS_SPARE = 3;

const STATUS = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Connection lost, reconnecting…', stopped: '' };

const LOOPBACK = /^(localhost|127\.[\d.]+|\[::1\])$/;

const GONE = 'This workshop is gone: it was deleted, or it never existed. Check the code on the facilitator’s page.';

function plural(n, one, many) {
  return n === 1 ? `1 ${one}` : `${n} ${many}`;
}

// takeKey moves a key from the fragment into this tab's storage and
// returns the key kept, if any.
function takeKey() {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('key');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  try {
    if (fromUrl) sessionStorage.setItem(KEY_NAME, fromUrl);
    return sessionStorage.getItem(KEY_NAME) ?? '';
  } catch {
    return fromUrl ?? ''; // storage is off: the key lasts as long as the page
  }
}

function stopMessage({ code: why, message }) {
  switch (why) {
    case 'locked':
      return 'Joining is closed, so this screen cannot connect. Open the wall from the facilitator’s page with “Show on a second screen”.';
    case 'deleted':
    case 'notFound':
      return GONE;
    default:
      return message;
  }
}

// Grid is the 4 x 3 board: level names head the columns, stage names
// the rows, and each cell holds its cards and, when agreed, says so.
class Grid {
  constructor(root) {
    this.cells = []; // { stage, level, el, agreed, list }
    this.heads = new Map(); // stage id -> its row head
    this.focus = -1; // the focused stage's row, by index
    this.el = h(
      'div',
      { class: 'wall-grid' },
      h('div', { class: 'wall-corner', 'aria-hidden': 'true' }),
      ...LEVELS.map((l) => h('h3', { class: 'wall-level', text: l.name })),
      ...STAGES.flatMap((s) => this.#row(s)),
    );
    root.append(this.el);
  }

  #row(s) {
    const head = h(
      'div',
      { class: 'wall-stage' },
      h('h3', { text: s.name }),
      h('p', { class: 'wall-stage-about', text: s.about }),
      h('p', { class: 'wall-looking', text: 'Everyone is looking here', hidden: true }),
    );
    this.heads.set(s.id, head);
    return [
      head,
      ...LEVELS.map((l) => {
        const agreed = h('p', { class: 'wall-agreed', hidden: true });
        const list = h('ul', { class: 'wall-cards' });
        const el = h('div', { class: 'wall-cell', 'data-stage': s.id, 'data-level': l.id }, agreed, list);
        this.cells.push({ stage: s.id, level: l.id, el, agreed, list });
        return el;
      }),
    ];
  }

  /** update shows board b: its focus, agreed levels, consent and cards. */
  update(b) {
    const focus = b.phase === 'closed' ? null : b.focus; // after the end nobody is asked to look anywhere
    this.focus = STAGES.findIndex((s) => s.id === focus);
    for (const [stage, head] of this.heads) {
      head.classList.toggle('focused', focus === stage);
      head.querySelector('.wall-looking').hidden = focus !== stage;
    }
    for (const c of this.cells) {
      const agreed = b.stages[c.stage].agreedLevel === c.level;
      c.el.classList.toggle('agreed', agreed);
      c.el.classList.toggle('focused', focus === c.stage);
      c.agreed.hidden = !agreed;
      c.agreed.textContent = agreed ? agreedText(b, c.stage) : '';
      c.list.replaceChildren(...shown(b, c.stage, c.level).map(cardItem), h('li', { class: 'wall-more', hidden: true }));
    }
  }

  /**
   * fit finds, by measuring, the largest text size at which every row can
   * be given the height its fullest cell needs, then shares the height out
   * so. At the floor, rows that need too much are cut to one height, and a
   * cell that overflows shows the cards that fit and how many more it holds.
   */
  fit() {
    const lists = this.cells.map((c) => c.list);
    for (const list of lists) for (const li of list.children) li.hidden = li.classList.contains('wall-more');
    const head = this.el.querySelector('.wall-level').getBoundingClientRect().height;
    const total = this.el.clientHeight - head - STAGES.length * parseFloat(getComputedStyle(this.el).rowGap);
    const needsAt = (px) => {
      this.el.style.setProperty('--card-size', `${px}px`);
      return this.#needs();
    };
    let lo = Math.max(FLOOR_PX, Math.ceil(innerHeight * FLOOR));
    let hi = Math.max(lo, Math.floor(innerHeight * CEILING));
    const fitsAt = (px) => sum(withFocus(needsAt(px), this.focus)) <= total;
    if (fitsAt(hi)) lo = hi;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fitsAt(mid)) lo = mid;
      else hi = mid;
    }
    const heights = share(needsAt(lo), total, this.focus);
    this.el.style.gridTemplateRows = `auto ${heights.map((px) => `minmax(0, ${px.toFixed(1)}fr)`).join(' ')}`;
    for (const list of lists) if (!fits(list)) cut(list);
  }

  // needs measures the height each row needs to show everything: its
  // fullest cell's, or its head's.
  #needs() {
    const rect = (el) => el.getBoundingClientRect();
    return STAGES.map((s) => {
      const head = this.heads.get(s.id);
      let need = rect(head.lastElementChild.hidden ? head.children[1] : head.lastElementChild).bottom - rect(head).top + bottomInset(head);
      for (const c of this.cells) {
        if (c.stage !== s.id) continue;
        const last = lastShown(c.list);
        const end = last ? rect(last).bottom : rect(c.list).top;
        need = Math.max(need, end - rect(c.el).top + bottomInset(c.el));
      }
      return need;
    });
  }
}

function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}

function bottomInset(el) {
  const cs = getComputedStyle(el);
  return parseFloat(cs.paddingBottom) + parseFloat(cs.borderBottomWidth);
}

function lastShown(list) {
  return [...list.children].findLast((li) => !li.hidden);
}

// withFocus raises the focused row's need, so that it is taller than any other.
function withFocus(needs, focus) {
  if (focus < 0) return needs;
  const out = [...needs];
  out[focus] = Math.max(out[focus], FOCUS_OVER * Math.max(...needs.filter((_, i) => i !== focus)));
  return out;
}

// share gives the rows heights that add up to total from what they need.
// When all fit, each row gets its need and the spare goes mostly to the
// focused row; when not, the rows are cut at one height (the focused row
// first taking up to FOCUS_MAX of it), each row no more than it needs.
function share(needs, total, focus) {
  const want = withFocus(needs, focus);
  if (sum(want) <= total) {
    const weights = want.map((_, i) => (i === focus ? FOCUS_SPARE : 1));
    const spare = (total - sum(want)) / sum(weights);
    return want.map((x, i) => x + spare * weights[i]);
  }
  if (focus < 0) return level(want, total);
  const focused = Math.min(want[focus], total * FOCUS_MAX);
  const others = level(
    want.filter((_, i) => i !== focus),
    total - focused,
  ).map((x) => Math.min(x, focused / FOCUS_OVER));
  others.splice(focus, 0, total - sum(others));
  return others;
}

// level cuts the rows that need the most at one height, so that all add
// up to total at most.
function level(needs, total) {
  let left = total;
  let rows = needs.length;
  for (const x of [...needs].sort((a, b) => a - b)) {
    if (x * rows > left) break;
    left -= x;
    rows--;
  }
  const top = rows ? left / rows : Infinity;
  return needs.map((x) => Math.min(x, top));
}

function fits(list) {
  const last = lastShown(list);
  return !last || last.getBoundingClientRect().bottom <= list.getBoundingClientRect().bottom + 0.25;
}

// cut hides a cell's cards from the last until the rest and the line
// saying how many are left out fit.
function cut(list) {
  const cards = [...list.children].filter((li) => !li.classList.contains('wall-more'));
  const more = list.lastElementChild;
  more.hidden = false;
  for (let shown = cards.length - 1; shown >= 0; shown--) {
    cards[shown].hidden = true;
    more.textContent = `+${cards.length - shown} more`;
    if (fits(list)) return;
  }
}

// shown is the cards of a cell that the wall shows.
function shown(b, stage, level) {
  return cell(b, stage, level)
    .map((id) => b.cards.get(id))
    .filter((card) => card && !card.awaitingApproval);
}

function agreedText(b, stage) {
  const n = b.consent?.[stage];
  if (!n) return 'Agreed';
  return `Agreed · ${n.agree} agree, ${n.unsure} not sure, ${n.disagree} disagree`;
}

function cardItem(card) {
  const meta = [roleName(card.byRole)];
  if (typeof card.votes === 'number' && card.votes > 0) meta.push(plural(card.votes, 'vote', 'votes'));
  if (card.agreed) meta.push('agreed action');
  const hidden = card.hidden || typeof card.text !== 'string';
  return h(
    'li',
    { class: `wall-card by-${card.byRole}${hidden ? ' face-down' : ''}${card.agreed ? ' agreed' : ''}` },
    h('span', { class: 'wall-card-text', text: hidden ? HIDDEN : card.text }),
    ' ',
    h('span', { class: 'wall-card-meta' }, ...meta.flatMap((part, i) => [i ? ' · ' : '', h('span', { text: part })])),
  );
}

// Side is the column beside the board: the timer, a consent round, how
// to join (or where the summary is, once the workshop is over), and a few
// facts.
class Side {
  constructor() {
    this.timer = new Countdown(byId('timer'), () => {});
    this.joinUrl = ''; // where phones join, when known
    byId('credit').textContent = CREDIT;
  }

  /** links sets where phones join, or '' when no link they can reach is known. */
  links(joinUrl) {
    this.joinUrl = joinUrl;
  }

  update(b) {
    this.timer.set(b.timerEndsAt);
    const round = byId('round');
    const closed = b.phase === 'closed';
    round.hidden = !b.consentRound || closed;
    round.textContent = b.consentRound ? `Consent for ${stageName(b.consentRound)}: answer on your phones` : '';
    byId('join').hidden = closed || !b.joinsOpen;
    byId('ended').hidden = !closed;
    const origin = this.joinUrl ? new URL(this.joinUrl).origin : location.origin;
    const bare = (url) => url.replace(/^https?:\/\//, '');
    if (!closed && b.joinsOpen) {
      const qr = byId('qr');
      const src = `/api/workshops/${encodeURIComponent(b.code)}/qr.svg`;
      if (qr.getAttribute('src') !== src) qr.src = src;
      qr.alt = `QR code: scan it to join with the code ${formatCode(b.code)}`;
      byId('join-code').textContent = formatCode(b.code);
      byId('join-link').hidden = !this.joinUrl;
      byId('join-link').replaceChildren(bare(origin), h('wbr'), `/j/${b.code}`);
    }
    const summary = byId('summary-link');
    summary.href = `${origin}/s/${b.code}`;
    summary.replaceChildren(bare(origin), h('wbr'), `/s/${b.code}`);
    const tray = cell(b, null, null).filter((id) => !b.cards.get(id)?.awaitingApproval).length;
    byId('tray').hidden = tray === 0;
    byId('tray').textContent = `${plural(tray, 'idea', 'ideas')} not placed yet`;
  }

  people(list) {
    const online = (list ?? []).filter((p) => p.online).length;
    byId('people').hidden = online === 0;
    byId('people').textContent = `${plural(online, 'person', 'people')} here`;
  }

  status(state) {
    const conn = byId('conn');
    conn.dataset.state = state;
    conn.textContent = STATUS[state] ?? '';
  }
}

// reachable finds the join link phones can reach: the server knows it
// (GET .../links) for the facilitator's key; without one, this page's own
// address serves, unless it is this computer's own, which phones cannot
// reach: then it is '' and the wall shows the QR code and the code alone.
async function reachable(key) {
  if (key) {
    try {
      const links = await call('GET', `/api/workshops/${encodeURIComponent(code)}/links`, { token: key });
      return links.loopback ? '' : links.joinUrl;
    } catch {
      // a wrong key: the session will say so
    }
  }
  return LOOPBACK.test(location.hostname) ? '' : `${location.origin}/j/${code}`;
}

function show(screen) {
  for (const s of ['loading', 'stopped', 'wall-screen']) byId(s).hidden = s !== screen;
}

function stop(message) {
  byId('stopped-message').textContent = message;
  show('stopped');
}

function start() {
  const grid = new Grid(byId('board'));
  const side = new Side();
  const key = takeKey();
  const session = new Session({ code, key, store: new WorkshopStore(`w:${code}`), view: 'wall' });
  let frame = 0;
  const draw = () => {
    frame = 0;
    const b = session.board;
    if (!b || session.stopped) return;
    byId('title').textContent = b.title;
    document.title = `${b.title} · the wall · Withboard`;
    const phase = byId('phase');
    phase.dataset.phase = b.phase;
    phase.replaceChildren(h('strong', { text: phaseName(b.phase) }), ` · ${phaseAbout(b.phase)}`);
    grid.update(b);
    side.update(b);
    side.people(b.participants);
    show('wall-screen');
    grid.fit();
  };
  const redraw = () => {
    frame ||= requestAnimationFrame(draw);
  };
  session.addEventListener('board', redraw);
  session.addEventListener('presence', (e) => side.people(e.detail));
  session.addEventListener('status', (e) => side.status(e.detail));
  session.addEventListener('stop', (e) => stop(stopMessage(e.detail)));
  addEventListener('resize', redraw);
  reachable(key).then((url) => {
    side.links(url);
    redraw();
  });
  session.start();
  redraw(); // a board kept from before shows at once
}

start();
