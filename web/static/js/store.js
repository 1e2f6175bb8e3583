// What this browser keeps about one workshop, in localStorage, so that a
// refreshed or reopened page comes back as the same person with nothing
// lost. Two records per workshop: the identity (who I am and the ops not
// yet accepted), written at once on every change; and the
// board at a version with its epoch, written a little later, since the
// server can always replay what a stale copy lacks.

const PREFIX = 'withboard:';
const BOARD_DELAY = 800;

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

function remove(key) {
  try {
    localStorage.removeItem(key);
  } catch {
    // nothing was kept
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false; // private mode or full: the page still works, it just forgets on reload
  }
}

/**
 * WorkshopStore keeps one workshop's records under one name, e.g. the join
 * code on the phone page, or "f:" and the id on the facilitator page.
 */
export class WorkshopStore {
  constructor(name) {
    this.key = PREFIX + name;
    this.boardKey = `${this.key}:board`;
    this.pendingBoard = null;
    this.timer = 0;
    addEventListener('pagehide', () => this.flush());
  }

  /** identity returns { name, role, token, key, you, outbox } or null. */
  identity() {
    return read(this.key);
  }

  /** saveIdentity merges changes into the identity and writes it now. */
  saveIdentity(changes) {
    write(this.key, { ...this.identity(), ...changes });
  }

  /** board returns the kept { epoch, v, board } or null. */
  board() {
    return read(this.boardKey);
  }

  /**
   * saveBoard keeps, soon, the { epoch, v, board } that snapshot() returns;
   * many quick changes cost one write.
   */
  saveBoard(snapshot) {
    this.pendingBoard = snapshot;
    if (!this.timer) this.timer = setTimeout(() => this.flush(), BOARD_DELAY);
  }

  /** flush writes a waiting board now, e.g. when the page goes away. */
  flush() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.pendingBoard) return;
    const snapshot = this.pendingBoard();
    this.pendingBoard = null;
    if (!write(this.boardKey, snapshot)) remove(this.boardKey);
  }

  /** forget removes everything this browser kept about the workshop. */
  forget() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.pendingBoard = null;
    remove(this.key);
    remove(this.boardKey);
  }
}
