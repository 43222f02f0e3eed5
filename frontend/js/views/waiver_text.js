// The waiver text, for admins (#/waiver-text): read the current version, write a new one,
// preview it as guests will see it, then publish it. Signatures keep the version and hash they
// were made under; new signatures use the version published last.
import { html, useEffect, useState } from '../html.js';
import { get, post } from '../api.js';
import { ErrorNotice, Field, Notice, useForm } from '../components.js';

export function WaiverText({ session }) {
  const [current, setCurrent] = useState(null);
  const [error, setError] = useState(null);
  const [preview, setPreview] = useState(false);
  const [published, setPublished] = useState(null);
  const admin = Boolean(session && session.role === 'admin');
  const refetch = () => get('/waiver');

  const form = useForm({
    initial: { text: '' },
    base: null,
    refetch,
    submit: (values, base) => post('/waiver', { text: values.text, based_on: (base || current).version }),
    done: (answer) => {
      setPublished(answer);
      setCurrent(answer);
      setPreview(false);
      form.reset({ text: answer.text });
    },
  });

  useEffect(() => {
    if (!admin) return;
    refetch().then((answer) => { setCurrent(answer); form.reset({ text: answer.text }); }).catch(setError);
  }, [admin]);

  if (!admin) {
    return html`<section class="card"><h1>Waiver text</h1><p>Only admins can change the waiver text.</p></section>`;
  }
  if (error) return html`<section class="card"><h1>Waiver text</h1><${ErrorNotice} error=${error} /></section>`;
  if (!current) return html`<p class="loading">Loading the waiver…</p>`;

  const shown = form.base || current; // after a 409, the version published meanwhile
  const unchanged = form.values.text.trim() === shown.text.trim();
  return html`
    <section class="card waiver-admin">
      <h1>Waiver text</h1>
      <p>Current version: <strong>${shown.version}</strong>${' '}<span class="hint waiver-hash">SHA-256 <code>${shown.sha256}</code></span></p>
      ${published ? html`<${Notice}>${`Version ${published.version} is published: guests sign it from now on. Earlier signatures keep the version they signed.`}<//>` : null}
      ${form.conflict ? html`<p class="notice notice-error" role="alert">Someone published a new version meanwhile; it is shown above. Your text is kept: preview it again before publishing.</p>` : null}
      ${preview ? html`
        <h2>Preview: what guests will read</h2>
        <div class="waiver-text" role="region" aria-label="Preview of the new waiver text" tabindex="0">${form.values.text}</div>
        <${ErrorNotice} error=${form.error} />
        <div class="actions">
          <button type="button" class="primary" disabled=${form.busy} onClick=${form.onSubmit}>
            ${form.busy ? 'Publishing…' : 'Publish as a new version'}</button>
          <button type="button" disabled=${form.busy} onClick=${() => setPreview(false)}>Back to editing</button>
        </div>` : html`
        <form onSubmit=${(e) => { e.preventDefault(); setPreview(true); }} noValidate>
          <${Field} label="Waiver text" name="text" error=${form.error}
            hint="Publishing makes a new version; the versions already signed never change.">
            ${({ id, invalid, describedBy }) => html`<textarea id=${id} rows="18" value=${form.values.text}
              aria-invalid=${invalid ? 'true' : 'false'} aria-describedby=${describedBy} onInput=${form.set('text')}></textarea>`}
          <//>
          <div class="actions">
            <button type="submit" class="primary" disabled=${unchanged}>${unchanged ? 'Change the text to preview it' : 'Preview'}</button>
          </div>
        </form>`}
    </section>`;
}
