// The page a magic link opens. It POSTs the code (a mail scanner's GET consumes nothing),
// then goes where the link was meant to take the person, replacing this page in the history.
// Coming back to a used link (Back, or the email opened again) while signed in goes to the
// page it was for, not to "link already used": this browser remembers where each code led.
import { html, useEffect, useState } from '../html.js';
import { post } from '../api.js';
import { ErrorNotice, Notice, homeOf } from '../components.js';

const USED_KEY = 'qd-used-links';
const KEEP_MS = 7 * 24 * 3600 * 1000;

export function destinationFor(answer) {
  if (answer.purpose === 'claim') return `#/sails/${encodeURIComponent(answer.sail_id)}?claim=${encodeURIComponent(answer.slot)}`;
  if (answer.purpose === 'waiver') return `#/waiver?sail=${encodeURIComponent(answer.sail_id)}&guest=${encodeURIComponent(answer.guest_id)}`;
  return answer.role === 'admin' || answer.role === 'crew' ? '#/sails' : '#/';
}

function usedLinks() {
  try {
    const all = JSON.parse(localStorage.getItem(USED_KEY) || '{}');
    return all && typeof all === 'object' && !Array.isArray(all) ? all : {};
  } catch {
    return {};
  }
}

function remember(code, destination, email) {
  const now = Date.now();
  const kept = Object.fromEntries(Object.entries(usedLinks()).filter(([, v]) => v && now - v.at < KEEP_MS));
  kept[code] = { to: destination, email, at: now };
  try { localStorage.setItem(USED_KEY, JSON.stringify(kept)); } catch { /* storage blocked: Back shows the error */ }
}

// Signing out forgets where the links led.
export function forgetUsedLinks() {
  try { localStorage.removeItem(USED_KEY); } catch { /* nothing kept */ }
}

const leaveFor = (destination) => window.location.replace(destination);

export function Magic({ query, session, refreshSession }) {
  const [error, setError] = useState(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      if (!query.code) {
        setError(new Error('This link has no code. Open the link from your email again.'));
        return;
      }
      const used = usedLinks()[query.code];
      if (session && used && used.email === session.email) {
        leaveFor(used.to);
        return;
      }
      try {
        const answer = await post('/auth/magic', { code: query.code });
        if (cancelled) return;
        const destination = destinationFor(answer);
        remember(query.code, destination, answer.email);
        await refreshSession();
        leaveFor(destination);
      } catch (failure) {
        if (!cancelled) setError(failure);
      }
    })();
    return () => { cancelled = true; };
  }, [query.code]);

  if (error && session) {
    return html`
      <section class="card narrow">
        <h1>This link was already used</h1>
        <${Notice}>You are signed in as ${session.email}. <a href=${homeOf(session)}>Go on to Quarterdeck</a>.<//>
      </section>`;
  }
  return html`
    <section class="card narrow">
      <h1>Signing you in…</h1>
      ${error
        ? html`<${ErrorNotice} error=${error} /><p><a href="#/signin">Ask for a new sign-in link</a></p>`
        : html`<p class="loading">Checking your link…</p>`}
    </section>`;
}
