// Small building blocks shared by the views: notices, fields, the one form helper, times.
import { html, useEffect, useRef, useState } from '../html.js';

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

// Where "Quarterdeck" leads: a guest's is its own page for its sail; crew and admins see the sails.
export function homeOf(session) {
  if (!session) return '#/signin';
  if (session.role === 'guest') return `#/my-sail?sail=${encodeURIComponent(session.sail_id)}&guest=${encodeURIComponent(session.guest_id)}`;
  return '#/sails';
}

// Where each magic link led (views/magic.js): kept here, not in that view, so signing out can
// forget them whether or not the view was ever loaded on this phone.
export const USED_LINKS_KEY = 'qd-used-links';

export function forgetUsedLinks() {
  try { localStorage.removeItem(USED_LINKS_KEY); } catch { /* nothing kept */ }
}

// --- forms ------------------------------------------------------------------------------
// One way every form submits: a busy flag (a second tap while sending does nothing), the error
// shown (a field's own error next to it, with the focus on its input), and a stale edit (409):
// what the person typed stays in the form, what changed on the server is shown (ConflictNotice),
// and submitting again applies their input over the server's current version.
//
//   const form = useForm({ initial, base, submit: (values, base) => patch(...), done, refetch });
//   <form onSubmit=${form.onSubmit}> … value=${form.values.title} onInput=${form.set('title')} …
//   <${ConflictNotice} form=${form} labels=${{ title: 'Title' }} /><${ErrorNotice} error=${form.notice} />
//
// `base` is the server's version the form was read from (given to `submit`); `refetch` reads the
// server's current one after a 409 and becomes the new base. With `valuesOf(base)` the form is
// rebased too: fields the person changed keep their input, the others take the server's values. `run(action)` gives any other
// action of the form (a button outside the submit) the same busy flag and error display.
export function useForm({
  initial = {}, base = null, submit, done, refetch, valuesOf, fieldId = (name) => `field-${name}`,
}) {
  const [values, setValues] = useState(initial);
  const [current, setCurrent] = useState(base);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [conflict, setConflict] = useState(null); // { before, after }: the server's version then and now
  const sending = useRef(false);
  const mounted = useRef(true);
  useEffect(() => () => { mounted.current = false; }, []);

  const setValue = (name, value) => setValues((previous) => ({ ...previous, [name]: value }));
  const set = (name) => (event) => {
    const target = event.currentTarget || event.target;
    setValue(name, target.type === 'checkbox' ? target.checked : target.value);
  };

  const run = async (action, after = done) => {
    if (sending.current) return undefined;
    sending.current = true;
    setBusy(true);
    setError(null);
    try {
      const answer = await action();
      if (mounted.current) setConflict(null);
      if (after) await after(answer);
      return answer;
    } catch (failure) {
      if (!mounted.current) return undefined;
      setError(failure);
      if (failure && failure.status === 409 && refetch) {
        try {
          const now = await refetch();
          if (mounted.current) {
            setConflict({ before: current, after: now });
            setCurrent(now);
            if (valuesOf && current) {
              const was = valuesOf(current);
              const is = valuesOf(now);
              setValues((typed) => Object.fromEntries(Object.entries(typed)
                .map(([name, value]) => [name, value === was[name] && name in is ? is[name] : value])));
            }
          }
        } catch { /* the error above already says what happened */ }
      } else if (failure && failure.field) {
        const input = document.getElementById(fieldId(failure.field));
        if (input) input.focus();
      }
      return undefined;
    } finally {
      sending.current = false;
      if (mounted.current) setBusy(false);
    }
  };

  const onSubmit = (event) => {
    if (event) event.preventDefault();
    return run(() => submit(values, current));
  };

  return {
    values, setValues, setValue, set, base: current, setBase: setCurrent, busy, error, conflict, run, onSubmit,
    // What shows above the buttons: an error no field shows (a conflict is said by ConflictNotice).
    notice: error && !error.field && !(conflict && error.status === 409) ? error : null,
    reset: (next) => { setValues(next); setError(null); setConflict(null); },
  };
}

const shown = (value) => (value === undefined || value === null || value === '' ? '(empty)' : `“${value}”`);

// After a 409: what someone else changed meanwhile, and a button to apply this person's input
// again over it (their input is still in the form).
export function ConflictNotice({ form, labels, apply = 'Save my changes again' }) {
  if (!form.conflict) return null;
  const { before, after } = form.conflict;
  const changed = Object.entries(labels)
    .filter(([name]) => before && after && String(before[name] ?? '') !== String(after[name] ?? ''))
    .map(([name, label]) => html`<li key=${name}>${label}: ${shown(before[name])} → ${shown(after[name])}</li>`);
  return html`
    <div class="notice notice-warn conflict-notice" role="alert">
      <p><strong>${form.error && form.error.message ? form.error.message : 'Someone else changed this while you were editing.'}</strong>
        ${' '}What you typed is still in the form.</p>
      ${changed.length ? html`<p>What changed:</p><ul>${changed}</ul>` : null}
      <button type="button" class="primary" disabled=${form.busy} onClick=${() => form.onSubmit()}>${apply}</button>
    </div>`;
}

// --- text ---------------------------------------------------------------------------------
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

// Free text (sail notes) with its http(s) URLs as links: the URL as given, opened without
// handing this page to the other site; anything else (javascript:, data:) stays text.
export function LinkedText({ text }) {
  const source = String(text || '');
  const parts = [];
  let last = 0;
  for (const found of source.matchAll(URL_PATTERN)) {
    let url = found[0];
    const trail = (url.match(TRAILING) || [''])[0];
    if (trail) url = url.slice(0, url.length - trail.length);
    let safe = false;
    try { safe = ['http:', 'https:'].includes(new URL(url).protocol); } catch { safe = false; }
    if (!safe) continue;
    parts.push(source.slice(last, found.index));
    parts.push(html`<a href=${url} rel="noopener noreferrer" target="_blank">${url}</a>`);
    last = found.index + url.length;
  }
  parts.push(source.slice(last));
  return parts;
}

// --- guests -------------------------------------------------------------------------------
export function GuestStatus({ status }) {
  return status === 'confirmed'
    ? html`<span class="badge badge-ok">Confirmed</span>`
    : html`<span class="badge badge-warn">On hold</span>`;
}

export const formatSigned = (iso) => (iso
  ? zonedFormat({ weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(new Date(iso))
  : '—');

// "Monday 8:02 am" within the last week, "Monday, Nov 23, 8:02 am" before: a moment as people say it.
export function formatSpoken(iso, now = new Date()) {
  if (!iso) return '';
  const date = new Date(iso);
  const recent = Math.abs(now.getTime() - date.getTime()) < 6 * 24 * 3600 * 1000;
  const day = zonedFormat(recent ? { weekday: 'long' } : { weekday: 'long', month: 'short', day: 'numeric' }).format(date);
  const time = zonedFormat({ hour: 'numeric', minute: '2-digit' }).format(date)
    .replace(/\s?AM$/, ' am').replace(/\s?PM$/, ' pm');
  return `${day} ${time}`;
}
