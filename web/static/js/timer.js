// The facilitator's countdown, shown to everyone from the board's
// timerEndsAt. It says when time is up, once.

const TICK = 1000;

function clock(ms) {
  const s = Math.ceil(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Countdown keeps el showing the time left until a given end. */
export class Countdown {
  /** onEnd is called once when a running timer reaches zero. */
  constructor(el, onEnd) {
    this.el = el;
    this.onEnd = onEnd;
    this.end = null;
    this.interval = 0;
    this.running = false; // seen with time left, so its end is news
  }

  /** set shows the time left until endsAt (an RFC 3339 time), or hides it when null. */
  set(endsAt) {
    const end = endsAt ? Date.parse(endsAt) : null;
    if (end === this.end) return;
    this.end = end;
    this.running = false;
    clearInterval(this.interval);
    this.interval = end ? setInterval(() => this.#tick(), TICK) : 0;
    this.#tick();
  }

  #tick() {
    const left = this.end ? this.end - Date.now() : 0;
    this.el.hidden = !this.end;
    if (left > 0) {
      this.running = true;
      this.el.textContent = `Time left ${clock(left)}`;
      return;
    }
    this.el.textContent = 'Time is up';
    clearInterval(this.interval);
    this.interval = 0;
    if (this.running) this.onEnd();
    this.running = false;
  }
}
