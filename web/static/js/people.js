// Who is in the workshop, for the facilitator: name (or anonymous), role,
// online or not, and a way to remove someone.

import { ask } from './dialog.js';
import { h } from './dom.js';
import { roleName } from './grid.js';

/**
 * People lists participants in list and sends participant.remove when
 * asked; nameOf(person) is how a person is called (their name, or
 * "anonymous service user 3").
 */
export class People {
  constructor(list, summary, send, nameOf = (p) => p.name || 'Anonymous') {
    this.list = list;
    this.summary = summary;
    this.send = send;
    this.nameOf = nameOf;
    this.shown = ''; // the people last drawn, so unchanged lists keep focus
  }

  /** update shows people (presence or board participants); me is left out. */
  update(people, me) {
    const others = people.filter((p) => p.id !== me.id);
    const key = JSON.stringify(others);
    if (key === this.shown) return;
    this.shown = key;
    const online = others.filter((p) => p.online).length;
    this.summary.textContent = `${online} online, ${others.length} joined`;
    this.list.replaceChildren(
      ...others.map((p) =>
        h(
          'li',
          { class: p.online ? 'person online' : 'person' },
          h('span', { class: 'person-name', text: this.nameOf(p) }),
          h('span', { class: 'person-info', text: `${roleName(p.role)} · ${p.online ? 'online' : 'offline'}` }),
          h('button', { type: 'button', class: 'quiet', text: 'Remove', 'aria-label': `Remove ${this.nameOf(p)} (${roleName(p.role)})`, onclick: () => this.#remove(p) }),
        ),
      ),
    );
  }

  async #remove(p) {
    const answer = await ask({
      title: `Remove ${this.nameOf(p)}?`,
      message: 'They will be disconnected and cannot come back with this phone. Their votes and consent answers are taken off the board.',
      choices: [
        { label: 'Remove, keep their cards', value: 'keep' },
        { label: 'Remove with their cards', value: 'cards', danger: true },
      ],
    });
    if (answer) this.send({ kind: 'participant.remove', participantId: p.id, removeCards: answer.choice === 'cards' });
  }
}
