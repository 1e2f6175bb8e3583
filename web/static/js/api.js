// The few HTTP calls the pages make, with the server's plain error messages.

/** ApiError carries the contract's error code, the message and the status. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * call fetches a JSON route and returns its parsed body, or throws an
 * ApiError whose message a person can read.
 */
export async function call(method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'offline', 'Could not reach the server. Check your connection and try again.');
  }
  if (!res.ok) throw await failure(res);
  return res.status === 204 ? null : res.json();
}

async function failure(res) {
  const err = await res.json().catch(() => null);
  return new ApiError(res.status, err?.error?.code ?? 'http', err?.error?.message ?? `The server answered ${res.status}.`);
}

// savedName is the file name the server gave (its UTF-8 filename* first),
// or fallback.
function savedName(res, fallback) {
  const cd = res.headers.get('Content-Disposition') ?? '';
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (utf8) {
    try {
      return decodeURIComponent(utf8[1]);
    } catch {
      // fall through to the plain name
    }
  }
  return /filename="([^"]+)"/i.exec(cd)?.[1] ?? fallback;
}

/**
 * download fetches an export with the facilitator key and saves it under
 * the name the server gives it, or filename.
 */
export async function download(path, token, filename) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw await failure(res);
  filename = savedName(res, filename);
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
