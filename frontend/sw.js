// Quarterdeck's service worker: the sail page and its checklists stay readable at the dock
// without a connection once they have been loaded.
//
// API reads: network first, always: with a connection nothing the API says is ever stale. What
// was fetched is kept, and without a connection the last copy answers instead. Only the reads a
// crew member needs at the dock are kept (who am I, the sails list, a sail); API answers served
// from the cache carry `offline_copy: {saved_at}` so the page can say so.
// Signing out, or any answer saying the session has ended (401), empties the kept answers; a
// copy older than two days is dropped rather than shown. What is kept of a sail is what the
// dock needs (times, roles, checklists, guests' names and waiver status): no one's contact
// details are written to the phone.
//
// The app's own files (the shell: page, styles, modules): the kept copy answers at once and the
// file is fetched again behind it (stale-while-revalidate), so a repeat visit waits for no file.
// SHELL_VERSION is a hash of every file under frontend/ but this one (a unit test keeps it
// true), so a deploy that changes any file changes this script: the browser installs the new
// worker on the next load, which fetches every file this phone kept afresh into the new
// version's cache and drops the old one; the page then running switches to the new code at its
// next route change (app.js). Between deploys, revalidation keeps each file current by its next
// request (a forgotten stamp, or a developer's edit, still arrives).
//
// The guest manifest (names, party sizes, waiver status) of the sails departing in the next two
// days is kept too, for check-in at the dock without signal: whenever the sails list or a sail
// is read (or handed over by the page), the worker fetches those sails' manifests for a crew
// member or an admin and keeps their dock copies (no addresses), cleared like everything else.

const SHELL_VERSION = '52cf9e8751e7';
const SHELL_CACHE = `qd-shell-${SHELL_VERSION}`;
// Kept on install besides what the page hands over: the shell, and the views a crew member opens
// at the dock (the sails list, a sail's manifest), which the sail page does not load itself.
const SHELL_FILES = ['/', '/css/app.css', '/js/app.js', '/js/views/sails_list.js', '/js/views/manifest.js'];
const DATA_CACHE = 'qd-data-v2'; // v2: dock copies without contact details
const MANIFEST = /^\/api\/sails\/[^/]+\/guests$/;
const KEPT_API = [/^\/api\/me$/, /^\/api\/sails$/, /^\/api\/sails\/[^/]+$/, MANIFEST];
const MANIFEST_AHEAD_MS = 48 * 3600 * 1000; // the manifests of the next two days' sails
const MANIFEST_BEHIND_MS = 12 * 3600 * 1000; // and of one under way or just back
const MAX_AGE_MS = 48 * 3600 * 1000;
const REVALIDATE_AFTER_MS = 2000; // a kept file is fetched again this long after it answered
const CONTACT_FIELDS = ['email', 'phone', 'invited'];

// The dock copy of an answer: guests and roles without contact details.
function dockCopy(data) {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const copy = { ...data };
  if (Array.isArray(copy.guests)) {
    copy.guests = copy.guests.map((guest) => {
      const kept = { ...guest };
      for (const field of CONTACT_FIELDS) delete kept[field];
      return kept;
    });
  }
  return copy;
}

async function forgetEverything() {
  await caches.delete(DATA_CACHE);
}

// A new version fetches afresh every file the last version kept (a view opened once stays
// available offline across a deploy); a file the deploy removed (404) is no longer kept. Without
// a connection the install fails and the last version goes on serving its own, whole.
self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const paths = new Set(SHELL_FILES);
    for (const name of await caches.keys()) {
      if (!name.startsWith('qd-shell-') || name === SHELL_CACHE) continue;
      for (const request of await (await caches.open(name)).keys()) paths.add(new URL(request.url).pathname);
    }
    // A first install stays small and quick (the page hands over the rest once it is active).
    const cache = await caches.open(SHELL_CACHE);
    await Promise.all([...paths].map(async (path) => {
      const response = await fetch(path, { credentials: 'same-origin', cache: 'no-cache' });
      if (response.ok) await cache.put(path, response);
    }));
  })());
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL_CACHE, DATA_CACHE]);
    for (const name of await caches.keys()) {
      if (!keep.has(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

const isKeptApi = (url) => KEPT_API.some((pattern) => pattern.test(url.pathname));
const isShell = (url) => !url.pathname.startsWith('/api/') && !url.pathname.startsWith('/_local/');

async function keepAnswer(request, response) {
  // Store the dock copy, stamped with when it was saved.
  let body;
  try {
    body = JSON.stringify(dockCopy(await response.clone().json()));
  } catch {
    return;
  }
  const headers = { 'Content-Type': 'application/json', 'X-Saved-At': new Date().toISOString() };
  const cache = await caches.open(DATA_CACHE);
  await cache.put(request, new Response(body, { status: response.status, headers }));
}

// --- the manifests of the sails of the next two days ---------------------------------------
const departsSoon = (sail, now) => {
  const at = Date.parse(sail && sail.departure);
  return Number.isFinite(at) && at > now - MANIFEST_BEHIND_MS && at < now + MANIFEST_AHEAD_MS;
};

// Only crew and admins read manifests: the kept /api/me says who this phone's session is.
async function readsManifests() {
  const me = await (await caches.open(DATA_CACHE)).match(new URL('/api/me', self.location.origin).href);
  if (!me) return false;
  try {
    const who = await me.clone().json();
    return Boolean(who && who.role && who.role !== 'guest');
  } catch {
    return false;
  }
}

// `data`: a sails list ({sails: [...]}) or one sail; their soon-departing ones' manifests are kept.
async function keepManifests(data) {
  const now = Date.now();
  const sails = data && Array.isArray(data.sails) ? data.sails : (data && data.id ? [data] : []);
  // The soonest first: with more than twelve sails in the window, the next departures matter most.
  const soon = sails.filter((sail) => sail && sail.id && sail.status !== 'cancelled' && departsSoon(sail, now))
    .sort((a, b) => Date.parse(a.departure) - Date.parse(b.departure));
  if (!soon.length || !(await readsManifests())) return;
  for (const sail of soon.slice(0, 12)) {
    const url = new URL(`/api/sails/${encodeURIComponent(sail.id)}/guests`, self.location.origin).href;
    let response;
    try {
      response = await fetch(url, { credentials: 'same-origin' });
    } catch {
      return; // offline already: what was kept stays
    }
    if (response.ok) await keepAnswer(new Request(url), response);
    else if (response.status === 401) {
      await forgetEverything();
      return;
    }
  }
}

const isSailRead = (url) => /^\/api\/sails(\/[^/]+)?$/.test(url.pathname);

async function offlineCopy(request) {
  const cache = await caches.open(DATA_CACHE);
  const kept = await cache.match(request);
  if (!kept) return null;
  const savedAt = kept.headers.get('X-Saved-At');
  if (!savedAt || Date.now() - Date.parse(savedAt) > MAX_AGE_MS) {
    await cache.delete(request);
    return null;
  }
  try {
    const data = await kept.clone().json();
    if (data && typeof data === 'object' && !Array.isArray(data)) data.offline_copy = { saved_at: savedAt };
    return new Response(JSON.stringify(data), {
      status: 200,
      headers: { 'Content-Type': 'application/json', 'X-Offline-Copy': savedAt || 'unknown' },
    });
  } catch {
    return kept;
  }
}

async function networkFirstApi(request, event) {
  try {
    const response = await fetch(request);
    if (response.ok) await keepAnswer(request, response);
    if (response.ok && isSailRead(new URL(request.url))) {
      event.waitUntil(response.clone().json().then(keepManifests).catch(() => {}));
    }
    else if (response.status === 401) await forgetEverything(); // the session ended or expired
    else if (response.status === 403 || response.status === 404) {
      await (await caches.open(DATA_CACHE)).delete(request);
    }
    return response;
  } catch (offline) {
    const copy = await offlineCopy(request);
    if (copy) return copy;
    throw offline;
  }
}

// The kept copy at once, fetched again behind; a file not kept yet comes from the network (and
// is kept). Only a file the network cannot give and the cache does not hold fails. The fetch
// behind waits a moment: a phone's few connections go to the page's own reads first.
async function cacheFirstShell(request, event) {
  const cache = await caches.open(SHELL_CACHE);
  const kept = (await cache.match(request, { ignoreSearch: true }))
    || (request.mode === 'navigate' ? await cache.match('/') : undefined);
  const fetchAndKeep = () => fetch(request).then(async (response) => {
    if (response.ok) await cache.put(request, response.clone());
    return response;
  });
  if (!kept) return fetchAndKeep();
  event.waitUntil(new Promise((resolve) => { setTimeout(resolve, REVALIDATE_AFTER_MS); })
    .then(fetchAndKeep).catch(() => { /* offline: the kept copy stands */ }));
  return kept;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && url.pathname === '/api/auth/logout') {
    event.respondWith((async () => {
      await forgetEverything();
      return fetch(request);
    })());
    return;
  }
  if (request.method !== 'GET') return;
  if (url.pathname.startsWith('/api/') && !isKeptApi(url)) {
    // Any other API read still tells the worker when the session has ended.
    event.respondWith(fetch(request).then(async (response) => {
      if (response.status === 401) await forgetEverything();
      return response;
    }));
    return;
  }
  if (isKeptApi(url)) event.respondWith(networkFirstApi(request, event));
  else if (isShell(url)) event.respondWith(cacheFirstShell(request, event));
});

// The page that registers the worker sends what it has already loaded before the worker ran:
// the URLs of its files (fetched again here and kept) and its API answers (kept as given, so
// keeping them costs the API nothing).
self.addEventListener('message', (event) => {
  const message = event.data || {};
  if (message.type !== 'keep') return;
  event.waitUntil((async () => {
    const data = await caches.open(DATA_CACHE);
    const sailReads = [];
    for (const answer of Array.isArray(message.answers) ? message.answers.slice(0, 20) : []) {
      let url;
      try { url = new URL(answer.url, self.location.origin); } catch { continue; }
      if (url.origin !== self.location.origin || !isKeptApi(url)) continue;
      await data.put(new Request(url.href), new Response(JSON.stringify(dockCopy(answer.body)), {
        status: 200,
        headers: { 'Content-Type': 'application/json', 'X-Saved-At': new Date().toISOString() },
      }));
      if (isSailRead(url)) sailReads.push(answer.body);
    }
    for (const body of sailReads) await keepManifests(body);
    const shell = await caches.open(SHELL_CACHE);
    // All at once: done before the phone's next load needs its connections for the page's reads.
    await Promise.all((Array.isArray(message.urls) ? message.urls.slice(0, 200) : []).map(async (raw) => {
      let url;
      try { url = new URL(raw, self.location.origin); } catch { return; }
      if (url.origin !== self.location.origin || !isShell(url) || await shell.match(url.href)) return;
      try {
        const response = await fetch(url.href, { credentials: 'same-origin' });
        if (response.ok) await shell.put(url.href, response);
      } catch { /* offline already: nothing more to keep */ }
    }));
    if (event.source) event.source.postMessage({ type: 'kept' });
  })());
});
