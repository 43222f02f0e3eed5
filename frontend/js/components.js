// Small building blocks shared by the views.
import { html } from './html.js';

// Shows an API error (or any message) to the person, politely and visibly.
export function ErrorNotice({ error }) {
  if (!error) return null;
  const message = error.message || String(error);
  return html`<p class="notice notice-error" role="alert">${message}</p>`;
}

export function Notice({ children }) {
  return html`<p class="notice" role="status">${children}</p>`;
}

// A labelled input whose API error (error.field === name) shows next to it.
export function Field({ label, name, error, hint, children }) {
  const id = `field-${name}`;
  const fieldError = error && error.field === name ? error.message : null;
  return html`
    <div class=${`field${fieldError ? ' field-invalid' : ''}`}>
      <label for=${id}>${label}</label>
      ${children({ id, invalid: Boolean(fieldError), describedBy: fieldError ? `${id}-error` : hint ? `${id}-hint` : undefined })}
      ${hint && !fieldError ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
      ${fieldError ? html`<p class="field-error" id=${`${id}-error`} role="alert">${fieldError}</p>` : null}
    </div>`;
}

const timeFormat = new Intl.DateTimeFormat('en-US', {
  hour: 'numeric', minute: '2-digit', timeZone: 'America/Los_Angeles',
});
const dateFormat = new Intl.DateTimeFormat('en-US', {
  weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', timeZone: 'America/Los_Angeles',
});

// Times are shown in San Diego time, whatever the phone's zone.
export const formatTime = (iso) => (iso ? timeFormat.format(new Date(iso)) : '—');
export const formatDate = (isoDate) => (isoDate ? dateFormat.format(new Date(`${isoDate}T12:00:00-08:00`)) : '—');
