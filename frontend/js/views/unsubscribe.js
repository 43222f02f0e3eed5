// The page behind "Stop reminders" in every nudge email. Like magic links, it POSTs: a
// mail scanner prefetching the link changes nothing.
import { html, useState } from '../html.js';
import { post } from '../api.js';
import { ErrorNotice, Notice, useForm } from '../components.js';

export function Unsubscribe({ query }) {
  const [done, setDone] = useState(null);
  const form = useForm({
    submit: () => post('/nudges/unsubscribe', { token: query.token || '' }),
    done: setDone,
  });

  return html`
    <section class="card narrow">
      <h1>Stop reminder emails</h1>
      ${done
        ? html`<${Notice}>Done: ${done.email} will get no more reminder emails.<//>`
        : html`
          <p>You will still get emails you ask for (sign-in links, confirmations), but no more reminders.</p>
          <${ErrorNotice} error=${form.error} />
          <button type="button" class="primary" onClick=${form.onSubmit} disabled=${form.busy}>Stop reminders</button>`}
    </section>`;
}
