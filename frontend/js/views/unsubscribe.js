// The page behind "Stop reminders" in every nudge email. Like magic links, it POSTs: a
// mail scanner prefetching the link changes nothing.
import { html, useState } from '../html.js';
import { post } from '../api.js';
import { ErrorNotice, Notice } from '../components.js';

export function Unsubscribe({ query }) {
  const [done, setDone] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const stop = async () => {
    setBusy(true);
    setError(null);
    try {
      setDone(await post('/nudges/unsubscribe', { token: query.token || '' }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <section class="card narrow">
      <h1>Stop reminder emails</h1>
      ${done
        ? html`<${Notice}>Done: ${done.email} will get no more reminder emails.<//>`
        : html`
          <p>You will still get emails you ask for (sign-in links, confirmations), but no more reminders.</p>
          <${ErrorNotice} error=${error} />
          <button type="button" class="primary" onClick=${stop} disabled=${busy}>Stop reminders</button>`}
    </section>`;
}
