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

// Times are shown in the club's time zone, whatever the phone's: /api/me says which (one setting,
// the deployment's); until a session has said, the club's home port, San Diego.
let clubZone = 'America/Los_Angeles';
const formats = new Map();

export function setTimeZone(zone) {
  if (zone && zone !== clubZone) {
    clubZone = zone;
    formats.clear();
  }
}

// An Intl.DateTimeFormat in the club's zone (kept per options: pages format many times).
export function zonedFormat(options, locale = 'en-US') {
  const key = `${locale}|${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(locale, { ...options, timeZone: clubZone }));
  return formats.get(key);
}

export const formatTime = (iso) => (iso ? zonedFormat({ hour: 'numeric', minute: '2-digit' }).format(new Date(iso)) : '—');
export const formatDate = (isoDate) => (isoDate
  ? zonedFormat({ weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' })
    .format(new Date(`${isoDate}T12:00:00-08:00`))
  : '—');
