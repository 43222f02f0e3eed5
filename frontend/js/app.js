// Quarterdeck's single-page app: session, layout, and the hash routes to the views.
import { html, render, useState, useEffect, useCallback } from './html.js';
import { get, post } from './api.js';
import { homeOf, setTimeZone } from './components.js';
import { parseHash, match, go } from './router.js';
import { SignIn } from './views/sign_in.js';
import { Magic, forgetUsedLinks } from './views/magic.js';
import { SailsList } from './views/sails_list.js';
import { SailPage } from './views/sail_page.js';
import { NewSail } from './views/new_sail.js';
import { Waiver } from './views/waiver.js';
import { GuestPage } from './views/guest_page.js';
import { TaskBoard } from './views/task_board.js';
import { Reports } from './views/reports.js';
import { ReportArchive, ArchivedReport } from './views/report_archive.js';
import { BusinessData } from './views/business_data.js';
import { Manifest } from './views/manifest.js';
import { Unsubscribe } from './views/unsubscribe.js';
import { People } from './views/people.js';
import { Settings } from './views/settings.js';
import { WaiverText } from './views/waiver_text.js';

const ROUTES = [
  ['/', SignIn],
  ['/signin', SignIn],
  ['/magic', Magic],
  ['/sails', SailsList],
  ['/sails/:id', SailPage],
  ['/sails/:id/manifest', Manifest],
  ['/new', NewSail],
  ['/waiver', Waiver],
  ['/my-sail', GuestPage],
  ['/board', TaskBoard],
  ['/reports', Reports],
  ['/reports/archive', ReportArchive],
  ['/reports/archive/:id', ArchivedReport],
  ['/business', BusinessData],
  ['/unsubscribe', Unsubscribe],
  ['/people', People],
  ['/settings', Settings],
  ['/waiver-text', WaiverText],
];

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
      const me = await get('/me');
      setTimeZone(me.timezone);
      setSession(me);
    } catch {
      setSession(null);
    }
  }, []);

  useEffect(() => {
    refreshSession();
    const onHash = () => setRoute(parseHash());
    window.addEventListener('hashchange', onHash);
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
    const View = found.view;
    // keyed by the path: another sail's page starts afresh, never showing (and acting on) the last one's
    body = html`<${View} key=${route.path} params=${found.params} query=${route.query} session=${session} refreshSession=${refreshSession} />`;
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
