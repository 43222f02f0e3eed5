// Sign in: the person types their email and gets a login link by email.
import { html } from '../html.js';
import { post } from '../api.js';
import {
  ErrorNotice, Field, Notice, useForm,
} from '../components.js';
import { go } from '../router.js';

// 429: the same for every address. Says when to try again (the person's own clock) and that
// the newest link already sent still works, so no one asks again in vain.
function TooManyLinks({ error }) {
  const at = error.retryAt ? new Date(error.retryAt) : null;
  const when = at && !Number.isNaN(at.getTime())
    ? at.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })
    : 'an hour';
  return html`
    <div class="notice notice-error" role="alert">
      <p>Too many sign-in links were asked for just now. Try again after ${when}.</p>
      <p>The newest sign-in link already in your inbox still works: open it instead.</p>
    </div>`;
}

export function SignIn({ session }) {
  const form = useForm({
    initial: { email: '', sent: false },
    submit: (values) => post('/auth/login-link', { email: values.email }),
    done: () => form.setValue('sent', true),
  });

  if (session && session.role !== 'guest') {
    go('#/sails');
    return null;
  }
  const { values, error, busy } = form;
  return html`
    <section class="card narrow">
      <h1>Sign in</h1>
      ${values.sent
        ? html`<${Notice}>If ${values.email} is registered, a sign-in link is on its way. Open it on this device.<//>`
        : html`
          <form onSubmit=${form.onSubmit} noValidate>
            <${Field} label="Email" name="email" error=${error}>
              ${({ id, invalid, describedBy }) => html`
                <input id=${id} type="email" autocomplete="email" required value=${values.email}
                  aria-invalid=${invalid} aria-describedby=${describedBy}
                  onInput=${form.set('email')} />`}
            <//>
            ${form.notice && form.notice.status === 429
              ? html`<${TooManyLinks} error=${form.notice} />`
              : html`<${ErrorNotice} error=${form.notice} />`}
            <button type="submit" class="primary" disabled=${busy}>${busy ? 'Sending…' : 'Email me a sign-in link'}</button>
          </form>`}
    </section>`;
}
