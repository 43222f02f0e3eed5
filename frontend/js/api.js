// The one API client. Every call is same-origin JSON; the session is an HttpOnly cookie.

export class ApiError extends Error {
  constructor(status, code, message, field, retryAt) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAt = retryAt; // a 429's end of its window (ISO, UTC)
  }
}

export async function api(method, path, body) {
  const options = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  };
  if (method !== 'GET' && method !== 'HEAD') {
    // Writes always carry JSON: the server refuses cookie-authenticated writes without it (CSRF).
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body ?? {});
  }
  let response;
  try {
    response = await fetch(`/api${path}`, options);
  } catch (networkError) {
    throw new ApiError(0, 'offline', 'No connection. Check your signal and try again.');
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(
      response.status,
      error.code || 'error',
      error.message || `The server answered ${response.status}.`,
      error.field,
      error.retry_at,
    );
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);

// Reads started before the page needs them (app.js starts /api/me and a sail page's sail
// together, before its first render): each is taken once by the first caller of the same
// path, and only on the route the page opened with; a later read goes to the network afresh.
const early = new Map();

export function readEarly(path) {
  const answer = get(path);
  answer.catch(() => { /* the caller that takes it sees the failure; untaken, it is nobody's */ });
  early.set(path, answer);
}

export function takeEarly(path) {
  const answer = early.get(path);
  early.delete(path);
  return answer || null;
}

// Another route was opened: what was read for the first one is not taken later (it would be old).
export function forgetEarly() {
  early.clear();
}
