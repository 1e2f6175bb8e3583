// The start page: make a workshop, or go to one by its join code.

import { ApiError, call } from './api.js';
import { normalizeCode } from './code.js';
import { byId, chars } from './dom.js';

function showError(id, message) {
  const el = byId(id);
  el.textContent = message;
  el.hidden = !message;
}

function busy(form, on) {
  form.querySelector('button[type=submit]').disabled = on;
}

async function join(e) {
  e.preventDefault();
  const input = byId('join-code');
  const code = normalizeCode(input.value);
  if (!code) {
    showError('join-error', 'Type the join code first.');
    return input.focus();
  }
  busy(e.target, true);
  try {
    const w = await call('GET', `/api/workshops/${encodeURIComponent(code)}`);
    location.assign(`/j/${encodeURIComponent(w.code)}`);
  } catch (err) {
    const message = err instanceof ApiError && err.status === 404 ? 'No workshop has that code. Check it with the person running the session.' : err.message;
    showError('join-error', message);
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } finally {
    busy(e.target, false);
  }
}

async function create(e) {
  e.preventDefault();
  const input = byId('create-title-input');
  const title = input.value.trim();
  const n = chars(title);
  if (n < 1 || n > 120) {
    showError('create-error', n < 1 ? 'Give the workshop a title.' : 'The title can be at most 120 characters.');
    return input.focus();
  }
  const tokenField = byId('create-token-field');
  const token = tokenField.hidden ? '' : byId('create-token').value.trim();
  busy(e.target, true);
  try {
    const w = await call('POST', '/api/workshops', { body: { title }, token });
    location.assign(w.facilitatorUrl);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      tokenField.hidden = false;
      byId('create-token').focus();
    }
    showError('create-error', err.message);
  } finally {
    busy(e.target, false);
  }
}

// sample makes a practice workshop full of example cards, to rehearse
// with, and opens it as its facilitator.
async function sample(e) {
  const button = e.currentTarget;
  const tokenField = byId('create-token-field');
  const token = tokenField.hidden ? '' : byId('create-token').value.trim();
  showError('sample-error', '');
  button.disabled = true;
  try {
    const w = await call('POST', '/api/workshops', { body: { sample: true }, token });
    location.assign(w.facilitatorUrl);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      tokenField.hidden = false;
      byId('create-token').focus();
    }
    showError('sample-error', err.message);
  } finally {
    button.disabled = false;
  }
}

byId('join-form').addEventListener('submit', join);
byId('try-sample').addEventListener('click', sample);
byId('create-form').addEventListener('submit', create);
byId('join-code').addEventListener('input', () => showError('join-error', ''));
byId('create-title-input').addEventListener('input', () => showError('create-error', ''));
