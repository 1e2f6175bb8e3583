// One person's live session with a workshop over the WebSocket: join (or
// rejoin as the same person), keep the board in version order, and make
// sure that no change this person makes is lost. Every op waits in a kept
// outbox until the server accepts it, and is sent again with the same id
// after any reconnect; the server accepts an id at most once.
//
// Events (all on the Session, an EventTarget):
//   board    the board changed; detail { frames, fresh }: ops applied, or a whole new board
//   outbox   the ops not yet accepted changed
//   presence who is here changed
//   status   detail: 'connecting' | 'live' | 'reconnecting' | 'stopped'
//   notice   detail { message }: a refused op or a problem to show briefly
//   stop     detail { code, message }: the session ended for good

import { apply, fromView, toView, withPending } from './board.js';
import { uuid } from './dom.js';

const FIRST_DELAY = 500; // ms before the first reconnect; doubles each time
const MAX_DELAY = 15000;
const STOP = new Set(['badJoin', 'notFound', 'removed', 'deleted', 'locked', 'full']);
const FORGET = new Set(['removed', 'deleted']);
const RETRY = new Set(['unavailable', 'rateLimited']);

// mergePresence applies a presence delta: people changed or new, and ids gone.
function mergePresence(people, changed, gone) {
  const out = new Map(people.map((p) => [p.id, p]));
  for (const id of gone) out.delete(id);
  for (const p of changed) out.set(p.id, p);
  return [...out.values()];
}

function backoff(attempt) {
  const base = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** attempt);
  return base / 2 + (Math.random() * base) / 2;
}

/** Session is the connection of one page to one workshop. */
export class Session extends EventTarget {
  /**
   * code is the join code or workshop id; key the facilitator key, if any;
   * store the WorkshopStore that keeps identity, outbox and board; view
   * 'wall' joins as a shared screen that shows what any participant could
   * see and sends no ops.
   */
  constructor({ code, key, store, view }) {
    super();
    this.code = code;
    this.key = key;
    this.wall = view === 'wall';
    this.store = store;
    const me = store.identity() ?? {};
    this.you = me.you ?? null; // { id, name, role } from the last welcome
    this.outbox = me.outbox ?? []; // [{ id, op, base?, ackV? }] in the order made
    const kept = store.board();
    this.epoch = kept?.epoch ?? null;
    this.board = kept && this.you ? fromView(kept.board, kept.v) : null;
    this.fresh = !this.board; // ask for a whole board, not a replay
    this.status = 'idle';
    this.ws = null;
    this.live = false; // welcomed on this.ws: ops may be sent
    this.stopped = false;
    this.attempt = 0;
    this.now = false; // reconnect without waiting
    this.timer = 0;
    this.retryTimer = 0;
    this.retryAttempt = 0;
    addEventListener('online', () => this.#wake());
    // A phone that loses its network can keep a dead socket open for
    // minutes; the browser knows sooner, so drop it and say so.
    addEventListener('offline', () => this.#drop());
    document.addEventListener('visibilitychange', () => document.hidden || this.#wake());
  }

  /** start connects; the session then keeps itself connected until stopped. */
  start() {
    this.#setStatus('connecting');
    this.#connect();
  }

  /** view is the board as it will be once the outbox is accepted. */
  view() {
    return this.board && withPending(this.board, this.outbox, this.you);
  }

  /**
   * send queues an op, keeps it, and sends it when connected. It returns
   * the op's id. The op counts as done only once the server accepts it.
   */
  send(op) {
    const entry = { id: uuid(), op, base: this.board?.v }; // base: the board it was made on
    this.outbox.push(entry);
    this.#saveOutbox();
    this.#transmit(entry);
    this.#emit('outbox');
    return entry.id;
  }

  /** leave ends the session and forgets this person on this browser. */
  leave() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.ws?.close();
    this.store.forget();
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #setStatus(status) {
    this.status = status;
    this.#emit('status', status);
  }

  #connect() {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    this.ws = ws;
    this.live = false;
    ws.addEventListener('open', () => ws.send(JSON.stringify(this.#joinFrame())));
    ws.addEventListener('message', (e) => {
      if (ws !== this.ws) return;
      let m;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      this.#receive(m);
    });
    ws.addEventListener('close', () => ws === this.ws && this.#closed());
  }

  #joinFrame() {
    const me = this.store.identity() ?? {};
    const f = this.wall ? { t: 'join', code: this.code, view: 'wall' } : { t: 'join', code: this.code, name: me.name ?? '', role: me.role ?? 'serviceUser' };
    f.presence = 'delta'; // one whole list after welcome, then only what changed
    if (this.key) f.key = this.key;
    if (me.token) f.token = me.token;
    if (this.board && !this.fresh && this.epoch) {
      f.since = this.board.v;
      f.epoch = this.epoch;
      if (this.lastId) f.sinceId = this.lastId; // lets the server check it is the same history
    }
    return f;
  }

  #closed() {
    this.ws = null;
    this.live = false;
    if (this.stopped) return;
    let delay = 0;
    if (!this.now) {
      delay = backoff(this.attempt++);
      this.#setStatus('reconnecting');
    }
    this.now = false;
    this.timer = setTimeout(() => this.#connect(), delay);
  }

  // drop gives up the socket at once, without waiting for a close
  // handshake that may never come, and reconnects as after any close.
  #drop() {
    const ws = this.ws;
    if (!ws) return;
    ws.close();
    this.#closed();
  }

  // restart drops the connection and joins again at once: with since to
  // fill a gap, or fresh for a whole board.
  #restart(fresh) {
    this.fresh ||= fresh;
    this.now = true;
    this.live = false;
    this.ws?.close();
  }

  // wake reconnects now, e.g. when the network is back: a socket still
  // trying (perhaps since before) is given up for a new one.
  #wake() {
    if (this.stopped || this.live || this.status === 'idle') return;
    clearTimeout(this.timer);
    this.attempt = 0;
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.#connect();
  }

  #receive(m) {
    switch (m.t) {
      case 'welcome':
        return this.#welcome(m);
      case 'op':
        return this.#op(m);
      case 'ack':
        return this.#ack(m);
      case 'nack':
        return this.#nack(m);
      case 'presence':
        if (!this.board) return;
        this.board.participants = m.people ?? mergePresence(this.board.participants, m.changed ?? [], m.gone ?? []);
        return this.#emit('presence', this.board.participants);
      case 'error':
        return this.#error(m);
      case 'bye':
        return this.#restart(false);
    }
  }

  #welcome(m) {
    if (this.you && this.you.id !== m.you.id) this.board = null; // a new person: the kept board was someone else's view
    this.you = { id: m.you.id, name: m.you.name, role: m.you.role };
    this.store.saveIdentity({ token: m.you.token, you: this.you });
    if (m.epoch !== this.epoch) {
      this.board = null;
      this.epoch = m.epoch;
    }
    let frames = [];
    if (m.board) {
      this.board = fromView(m.board, m.v);
    } else {
      frames = m.ops ?? [];
      if (!this.#replay(frames, m.v)) return this.#restart(true);
    }
    this.lastId = m.lastId; // the op id at m.v, absent at version 0
    this.fresh = false;
    this.live = true;
    this.attempt = 0;
    this.#setStatus('live');
    this.#changed(frames, !!m.board);
    for (const entry of this.outbox) this.#transmit(entry);
  }

  // replay applies welcome.ops to the kept board; false if they do not
  // follow on from it exactly.
  #replay(frames, v) {
    if (!this.board || (frames[0]?.v ?? v + 1) !== this.board.v + 1) return false;
    for (const f of frames) if (!this.#applyFrame(f)) return false;
    return this.board.v === v;
  }

  #op(f) {
    if (!this.live || f.v <= this.board.v) return;
    if (f.v !== this.board.v + 1) return this.#restart(false);
    const exact = this.#applyFrame(f);
    this.#changed([f], false);
    if (!exact) this.#restart(true);
  }

  #applyFrame(f) {
    const exact = apply(this.board, f, this.you);
    this.lastId = f.id;
    this.#prune((e) => e.id === f.id);
    return exact;
  }

  // prune drops outbox ops that are done: matching done, or acked at a
  // version the board already holds.
  #prune(done) {
    const before = this.outbox.length;
    this.outbox = this.outbox.filter((e) => !done(e) && !(e.ackV <= this.board.v));
    if (this.outbox.length !== before) {
      this.#saveOutbox();
      this.#emit('outbox');
    }
  }

  #changed(frames, fresh) {
    this.#prune(() => false);
    this.store.saveBoard(() => ({ epoch: this.epoch, v: this.board.v, board: toView(this.board) }));
    this.#emit('board', { frames, fresh });
  }

  #ack(m) {
    const entry = this.outbox.find((e) => e.id === m.id);
    this.retryAttempt = 0;
    if (!entry) return;
    entry.ackV = m.v;
    this.#saveOutbox();
    // The op itself may still be on its way; until then it stays shown as pending.
    if (this.board) this.#prune(() => false);
  }

  #nack(m) {
    const entry = this.outbox.find((e) => e.id === m.id);
    if (!entry) return;
    if (RETRY.has(m.code)) return this.#retryLater(entry);
    this.outbox = this.outbox.filter((e) => e !== entry);
    this.#saveOutbox();
    this.#emit('outbox');
    this.#emit('notice', { message: m.message });
  }

  #retryLater(entry) {
    entry.waiting = true;
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = 0;
      for (const e of this.outbox) {
        if (e.waiting) {
          e.waiting = false;
          this.#transmit(e);
        }
      }
    }, backoff(this.retryAttempt++));
  }

  #error(m) {
    if (!STOP.has(m.code)) return this.#emit('notice', { message: m.message });
    this.stopped = true;
    if (FORGET.has(m.code)) this.store.forget();
    this.#setStatus('stopped');
    this.#emit('stop', { code: m.code, message: m.message });
  }

  #transmit(entry) {
    if (this.live && this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ t: 'op', id: entry.id, op: entry.op, base: entry.base }));
    }
  }

  #saveOutbox() {
    this.store.saveIdentity({ outbox: this.outbox.map(({ id, op, base, ackV }) => ({ id, op, base, ackV })) });
  }
}
