// The page a magic link opens. It POSTs the code (a mail scanner's GET consumes nothing),
// then goes where the link was meant to take the person.
import { html, useEffect, useState } from '../html.js';
import { post } from '../api.js';
import { ErrorNotice } from '../components.js';
import { go } from '../router.js';

export function destinationFor(answer) {
  if (answer.purpose === 'claim') return `#/sails/${encodeURIComponent(answer.sail_id)}?claim=${encodeURIComponent(answer.slot)}`;
  if (answer.purpose === 'waiver') return `#/waiver?sail=${encodeURIComponent(answer.sail_id)}&guest=${encodeURIComponent(answer.guest_id)}`;
  return answer.role === 'admin' || answer.role === 'crew' ? '#/sails' : '#/';
}

export function Magic({ query, refreshSession }) {
  const [error, setError] = useState(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      if (!query.code) {
        setError(new Error('This link has no code. Open the link from your email again.'));
        return;
      }
      try {
        const answer = await post('/auth/magic', { code: query.code });
        if (cancelled) return;
        await refreshSession();
        go(destinationFor(answer));
      } catch (failure) {
        if (!cancelled) setError(failure);
      }
    })();
    return () => { cancelled = true; };
  }, [query.code]);

  return html`
    <section class="card narrow">
      <h1>Signing you in…</h1>
      ${error
        ? html`<${ErrorNotice} error=${error} /><p><a href="#/signin">Ask for a new sign-in link</a></p>`
        : html`<p class="loading">Checking your link…</p>`}
    </section>`;
}
