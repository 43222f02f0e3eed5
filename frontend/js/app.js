// Quarterdeck's single-page app: session, layout, and the hash routes to the views.
import { html, render, useState, useEffect, useCallback } from './html.js';
import { forgetEarly, get, post, readEarly, takeEarly } from './api.js';
import { ErrorNotice, forgetUsedLinks, homeOf, setTimeZone } from './components.js';
import { parseHash, match, go } from './router.js';
import { SailPage } from './views/sail_page.js';

// The sail page is the one a phone opens cold at the dock (from an email, often on a weak
// signal): it and what it imports are loaded with the app (and modulepreloaded by index.html).
// Every other view is loaded when its route is first opened, so the admin pages cost a crew
// member's phone nothing (bench stage 8; tests/unit/test_module_preload.py keeps index.html's
// hints equal to what app.js imports statically).
const lazy = (file, name) => ({ file, name });

const ROUTES = [
  ['/', lazy('./views/sign_in.js', 'SignIn')],
  ['/signin', lazy('./views/sign_in.js', 'SignIn')],
  ['/magic', lazy('./views/magic.js', 'Magic')],
  ['/sails', lazy('./views/sails_list.js', 'SailsList')],
  ['/sails/:id', SailPage],
  ['/sails/:id/manifest', lazy('./views/manifest.js', 'Manifest')],
  ['/new', lazy('./views/new_sail.js', 'NewSail')],
  ['/waiver', lazy('./views/waiver.js', 'Waiver')],
  ['/my-sail', lazy('./views/guest_page.js', 'GuestPage')],
  ['/board', lazy('./views/task_board.js', 'TaskBoard')],
  ['/reports', lazy('./views/reports.js', 'Reports')],
  ['/reports/archive', lazy('./views/report_archive.js', 'ReportArchive')],
  ['/reports/archive/:id', lazy('./views/report_archive.js', 'ArchivedReport')],
  ['/business', lazy('./views/business_data.js', 'BusinessData')],
  ['/unsubscribe', lazy('./views/unsubscribe.js', 'Unsubscribe')],
  ['/people', lazy('./views/people.js', 'People')],
  ['/settings', lazy('./views/settings.js', 'Settings')],
  ['/waiver-text', lazy('./views/waiver_text.js', 'WaiverText')],
];

const loadedViews = new Map(); // file -> its module, once imported

// A view loaded on first use: "Loading…" meanwhile; if its file cannot be fetched (no signal and
// never opened on this phone, or the server failed) it says so and offers to try again.
function LazyView({ view, ...props }) {
  const [module, setModule] = useState(() => loadedViews.get(view.file));
  const [failure, setFailure] = useState(null);
  const load = useCallback(() => {
    setFailure(null);
    import(view.file).then((loaded) => {
      loadedViews.set(view.file, loaded);
      setModule(loaded);
    }, (error) => {
      console.error(error);
      setFailure(navigator.onLine
        ? 'This page could not be loaded. Try again; if it still fails, reload Quarterdeck.'
        : 'No connection, and this page has not been opened on this phone before, so it is not kept for offline use. Try again when you have a signal.');
    });
  }, [view.file]);
  useEffect(() => { if (!module) load(); }, [view.file]);
  if (module) {
    const View = module[view.name];
    return html`<${View} ...${props} />`;
  }
  if (failure) {
    return html`
      <section class="card">
        <h1>Page not loaded</h1>
        <${ErrorNotice} error=${{ message: failure }} />
        <div class="actions"><button type="button" class="primary" onClick=${load}>Try again</button></div>
      </section>`;
  }
  return html`<p class="loading" role="status">Loading the page…</p>`;
}

// Who is signed in and, on a sail page, the sail are asked for at once, together, before the
// first render (the sail page and refreshSession take these answers); whatever /api/me says
// (signed out too) is handled as before.
readEarly('/me');
const firstHash = window.location.hash; // the route the first render shows
const opened = match(ROUTES, parseHash().path);
if (opened && opened.view === SailPage) readEarly(`/sails/${encodeURIComponent(opened.params.id)}`);

// A new service worker took over while this page ran old code (a deploy): the next route change
// loads the page afresh, so old modules and new lazily loaded views never run together.
const hadWorker = Boolean(navigator.serviceWorker && navigator.serviceWorker.controller);
let codeReplaced = false;
if (hadWorker) navigator.serviceWorker.addEventListener('controllerchange', () => { codeReplaced = true; });

function Nav({ session, onSignOut }) {
  if (!session) return null;
  const admin = session.role === 'admin';
  const crew = session.role !== 'guest';
  return html`
    <nav class="nav" aria-label="Main">
      ${crew ? html`<a href="#/sails">Sails</a>` : null}
      ${admin ? html`<a href="#/new">New sail</a>` : null}
      ${admin ? html`<a href="#/board">Board</a>` : null}
      ${admin ? html`<a href="#/reports">Reports</a>` : null}
      ${admin ? html`<a href="#/people">People</a>` : null}
      ${crew ? html`<a href="#/settings">Settings</a>` : null}
      ${admin ? html`<a href="#/business">Business data</a>` : null}
      ${admin ? html`<a href="#/waiver-text">Waiver</a>` : null}
      <button type="button" class="link-button" onClick=${onSignOut}>Sign out</button>
    </nav>`;
}

function App() {
  const [route, setRoute] = useState(parseHash());
  const [session, setSession] = useState(undefined); // undefined: still asking; null: signed out

  const refreshSession = useCallback(async () => {
    try {
      const me = await (takeEarly('/me') || get('/me')); // asked already at the start (above)
      setTimeZone(me.timezone);
      setSession(me);
    } catch {
      setSession(null);
    }
  }, []);

  useEffect(() => {
    refreshSession();
    const onHash = () => {
      forgetEarly();
      if (codeReplaced) window.location.reload();
      else setRoute(parseHash());
    };
    window.addEventListener('hashchange', onHash);
    // The address may have changed before this listener was added (a link opened as the page
    // finished loading): follow it, or the page would show the first route under another's address.
    if (window.location.hash !== firstHash) onHash();
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const signOut = async () => {
    try { await post('/auth/logout'); } catch { /* the session may already be gone */ }
    forgetUsedLinks();
    setSession(null);
    go('#/signin');
  };

  const found = match(ROUTES, route.path);
  let body;
  if (session === undefined) {
    body = html`<p class="loading">Loading…</p>`;
  } else if (!found) {
    body = html`<section><h1>Not found</h1><p>There is no page here. <a href="#/sails">Go to the sails</a>.</p></section>`;
  } else {
    const props = { params: found.params, query: route.query, session, refreshSession };
    // keyed by the path: another sail's page starts afresh, never showing (and acting on) the last one's
    body = typeof found.view === 'function'
      ? html`<${found.view} key=${route.path} ...${props} />`
      : html`<${LazyView} key=${route.path} view=${found.view} ...${props} />`;
  }
  return html`
    <header class="top">
      <a class="brand" href=${homeOf(session)}>Quarterdeck</a>
      ${session ? html`<span class="who">${session.email}</span>` : null}
      <${Nav} session=${session} onSignOut=${signOut} />
    </header>
    <main id="main">${body}</main>`;
}

const root = document.getElementById('app');
root.textContent = ''; // drop the static "Loading…" line; Preact renders into an empty root
render(html`<${App} />`, root);
