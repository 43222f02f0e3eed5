// Sign in: the person types their email and gets a login link by email.
import { html, useState } from '../html.js';
import { post } from '../api.js';
import { ErrorNotice, Field, Notice } from '../components.js';
import { go } from '../router.js';

export function SignIn({ session }) {
  const [email, setEmail] = useState('');
  const [error, setError] = useState(null);
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);

  if (session && session.role !== 'guest') {
    go('#/sails');
    return null;
  }

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post('/auth/login-link', { email });
      setSent(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <section class="card narrow">
      <h1>Sign in</h1>
      ${sent
        ? html`<${Notice}>If ${email} is registered, a sign-in link is on its way. Open it on this device.<//>`
        : html`
          <form onSubmit=${submit} noValidate>
            <${Field} label="Email" name="email" error=${error}>
              ${({ id, invalid, describedBy }) => html`
                <input id=${id} type="email" autocomplete="email" required value=${email}
                  aria-invalid=${invalid} aria-describedby=${describedBy}
                  onInput=${(e) => setEmail(e.target.value)} />`}
            <//>
            <${ErrorNotice} error=${error && !error.field ? error : null} />
            <button type="submit" class="primary" disabled=${busy}>${busy ? 'Sending…' : 'Email me a sign-in link'}</button>
          </form>`}
    </section>`;
}
