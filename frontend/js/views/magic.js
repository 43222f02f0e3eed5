// The page a magic link opens. It POSTs the code (a mail scanner's GET consumes nothing),
// then goes where the link was meant to take the person, replacing this page in the history.
// Coming back to a used link (Back, or the email opened again) while signed in goes to the
// page it was for, not to "link already used": this browser remembers where each code led (a
// guest's link: to their own page for the sail). A guest's spent link in a browser without a
// session offers to send a fresh link to the address on the booking (the link names its sail).
import { html, useEffect, useState } from '../html.js';
import { post } from '../api.js';
import {
  ErrorNotice, Field, Notice, USED_LINKS_KEY as USED_KEY, guestPageOf, homeOf, useForm,
} from '../components.js';

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

const leaveFor = (destination) => window.location.replace(destination);

// A guest's link that no longer works, in a browser without a session: a fresh link goes to the
// address on the booking. The answer is the same for any address, and says only that.
function FreshLink({ sailId, error }) {
  const [sent, setSent] = useState(null);
  const form = useForm({
    initial: { email: '' },
    submit: (values) => post(`/sails/${encodeURIComponent(sailId)}/guest-link`, { email: values.email }),
    done: (answer) => setSent(answer.message),
  });
  return html`
    <section class="card narrow fresh-link">
      <h1>This link no longer works</h1>
      <${ErrorNotice} error=${error} />
      ${sent
        ? html`<${Notice}>${sent} Open the newest email; earlier links stop working.<//>`
        : html`
          <p>Enter the email address your booking was made with and we will send a fresh link to your page for this sail.</p>
          <form onSubmit=${form.onSubmit} noValidate>
            <${Field} label="Your email address" name="email" error=${form.error}>
              ${({ id, invalid, describedBy }) => html`
                <input id=${id} type="email" autocomplete="email" required value=${form.values.email}
                  aria-invalid=${invalid ? 'true' : 'false'} aria-describedby=${describedBy} onInput=${form.set('email')} />`}
            <//>
            <${ErrorNotice} error=${form.notice} />
            <button type="submit" class="primary" disabled=${form.busy}>${form.busy ? 'Sending…' : 'Send me a fresh link'}</button>
          </form>`}
    </section>`;
}

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
        // Opened again, a guest's link leads to their own page (signed or not, it is all there).
        const again = answer.purpose === 'waiver' ? guestPageOf(answer.sail_id, answer.guest_id) : destination;
        remember(query.code, again, answer.email);
        await refreshSession();
        leaveFor(destination);
      } catch (failure) {
        if (!cancelled) setError(failure);
      }
    })();
    return () => { cancelled = true; };
  }, [query.code]);

  if (error && !session && query.sail) return html`<${FreshLink} sailId=${query.sail} error=${error} />`;
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
