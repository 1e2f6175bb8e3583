// The connection state, in words: a small "Connected" note while all is
// well, a banner while the page is trying to reconnect, and how many of
// this person's changes have not reached the server yet.

const WORDS = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  live: 'Connected',
  reconnecting: 'Reconnecting…',
  stopped: 'Not connected',
};

/**
 * showStatus writes status (a Session status) into pill, shows banner
 * while the connection is down, and says how many changes are waiting.
 */
export function showStatus(pill, banner, status, waiting) {
  pill.textContent = WORDS[status] ?? status;
  pill.dataset.state = status;
  banner.hidden = status !== 'reconnecting';
  let text = 'Reconnecting… Your changes are kept on this device and will be sent when the connection is back.';
  if (waiting) text += ` Waiting to send: ${waiting}.`;
  banner.textContent = text;
}
