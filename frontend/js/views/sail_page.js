// One sail: when to be at the dock, who is on it, its checklists; admins edit, cancel, see history.
import { html, useCallback, useEffect, useState } from '../html.js';
import { get, patch, post, takeEarly } from '../api.js';
import {
  ChecklistModal, ConflictNotice, ErrorNotice, Field, GuestManifest, LinkedText, Notice, RoleBoard, SailHistory,
  TimingFields, TimingPanel, TimingPreview, formatDate, formatTime, pendingTicks, sendPendingTicks, timingBody, useForm,
} from '../components.js';

const DATA_CACHE = 'qd-data-v2'; // sw.js's cache of API answers

// Whether the offline cache holds this sail right now (the "Saved on this …" line says only what is true).
async function cacheHolds(sailId) {
  if (!('caches' in window)) return false;
  try {
    const cache = await caches.open(DATA_CACHE);
    return Boolean(await cache.match(`/api/sails/${encodeURIComponent(sailId)}`));
  } catch {
    return false;
  }
}

// A phone (touch first or a narrow screen) is "this phone"; anything else is "this device".
const deviceWord = () => (window.matchMedia && window.matchMedia('(pointer: coarse), (max-width: 700px)').matches
  ? 'phone' : 'device');

// Keep this page readable without a connection: the service worker keeps the last copy.
// What was loaded before the worker ran is handed to it (files by URL, API answers as data).
function registerServiceWorker(answers, onKept) {
  if (!('serviceWorker' in navigator)) return;
  const heard = (event) => {
    if (!event.data || event.data.type !== 'kept') return;
    navigator.serviceWorker.removeEventListener('message', heard);
    onKept();
  };
  navigator.serviceWorker.addEventListener('message', heard);
  navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then((registration) => {
    const urls = ['/', ...performance.getEntriesByType('resource').map((entry) => entry.name)]
      .filter((url) => !new URL(url, window.location.origin).pathname.startsWith('/api/'));
    if (registration.active) registration.active.postMessage({ type: 'keep', urls, answers });
  }).catch(() => { /* no worker (private mode, old browser): the page still works online */ });
}

function ChecklistButtons({ sail, onOpen }) {
  return html`
    <section class="card" aria-labelledby="checklists-heading">
      <h2 id="checklists-heading">Checklists</h2>
      <div class="checklist-buttons">
        ${['departure', 'return'].map((list) => {
          const checklist = sail.checklists[list];
          const complete = checklist.total > 0 && checklist.done === checklist.total;
          return html`
            <button type="button" class=${`checklist-open${complete ? ' checklist-complete' : ''}`}
              onClick=${() => onOpen(list)}>
              <span>${checklist.title}</span>
              <span class="checklist-count">${checklist.done} of ${checklist.total} done</span>
            </button>`;
        })}
      </div>
    </section>`;
}

const SAIL_FIELDS = {
  title: 'Title', date: 'Date', crew_slots: 'Crew slots', notes: 'Notes', guest_capacity: 'Guest seats',
  meeting_point: 'Meeting point', timing: 'Timing', start: 'Departure time', duration_minutes: 'Duration',
};
const formOfSail = (sail) => ({
  title: sail.title,
  date: sail.date,
  crew_slots: String(sail.crew_slots),
  notes: sail.notes || '',
  guest_capacity: String(sail.guest_capacity ?? ''),
  meeting_point: sail.meeting_point || '',
  timing: sail.start ? 'fixed' : 'sunset',
  start: sail.start || '',
  duration_minutes: String(sail.duration_minutes || 120),
});
const asNumber = (text) => (/^\d+$/.test(text.trim()) ? Number(text) : text);
const DAY_MS = 24 * 3600 * 1000;
const daysBetween = (from, to) => Math.round((Date.parse(`${to}T12:00:00Z`) - Date.parse(`${from}T12:00:00Z`)) / DAY_MS);

// Only what the person changed is sent, against the version they started from; after a 409 the
// form keeps their input and its base becomes the server's current sail. A sail of a weekly
// series can take the change with the rest of its series (a new date moves them all as many days).
function EditSail({ sail, onSaved, onCancel, onRefreshed }) {
  const path = `/sails/${encodeURIComponent(sail.id)}`;
  const form = useForm({
    initial: { ...formOfSail(sail), rest_of_series: false },
    base: sail,
    valuesOf: formOfSail,
    submit: (values, base) => {
      const changes = {};
      const was = formOfSail(base);
      for (const name of ['title', 'date', 'notes', 'meeting_point']) if (values[name] !== was[name]) changes[name] = values[name];
      for (const name of ['crew_slots', 'guest_capacity']) if (values[name] !== was[name]) changes[name] = asNumber(values[name]);
      const timingChanged = values.timing !== was.timing
        || (values.timing === 'fixed' && (values.start !== was.start || values.duration_minutes !== was.duration_minutes));
      if (timingChanged) Object.assign(changes, timingBody(values));
      if (values.rest_of_series && base.series_id) {
        const { date, ...rest } = changes;
        if (date) rest.shift_days = daysBetween(was.date, date);
        return patch(`${path}/series`, rest);
      }
      return patch(path, { version: base.version, ...changes });
    },
    done: onSaved,
    refetch: async () => {
      const fresh = await get(path);
      if (onRefreshed) onRefreshed(fresh);
      return fresh;
    },
  });
  const { values, error, busy, set } = form;
  const attrs = ({ id, invalid, describedBy }) => ({
    id, 'aria-invalid': invalid ? 'true' : 'false', 'aria-describedby': describedBy,
  });
  const fixedStart = values.timing === 'fixed' ? values.start : '';
  const timingMoved = values.date !== form.base.date || values.timing !== formOfSail(form.base).timing
    || (values.timing === 'fixed' && (values.start !== form.base.start || values.duration_minutes !== String(form.base.duration_minutes)));
  return html`
    <section class="card" aria-labelledby="edit-heading">
      <h2 id="edit-heading">Edit sail</h2>
      <form onSubmit=${form.onSubmit} noValidate>
        <${ConflictNotice} form=${form} labels=${SAIL_FIELDS} />
        <${Field} label="Date" name="date" error=${error} hint="A new date moves the times and tells the people on the sail.">
          ${(a) => html`<input ...${attrs(a)} type="date" value=${values.date} onInput=${set('date')} onChange=${set('date')} />`}
        <//>
        <${TimingFields} values=${values} set=${set} error=${error} idPrefix="edit" />
        ${timingMoved ? html`<${TimingPreview} date=${values.date} start=${fixedStart} duration=${values.duration_minutes} />` : null}
        <${Field} label="Title" name="title" error=${error}>
          ${(a) => html`<input ...${attrs(a)} type="text" maxlength="120" value=${values.title} onInput=${set('title')} />`}
        <//>
        <${Field} label="Crew slots (besides the captain)" name="crew_slots" error=${error} hint="0 to 8.">
          ${(a) => html`<input ...${attrs(a)} type="number" inputmode="numeric" min="0" max="8" value=${values.crew_slots}
            onInput=${set('crew_slots')} />`}
        <//>
        <${Field} label="Guest seats" name="guest_capacity" error=${error} hint="1 to 49; not fewer than the seats taken.">
          ${(a) => html`<input ...${attrs(a)} type="number" inputmode="numeric" min="1" max="49" value=${values.guest_capacity}
            onInput=${set('guest_capacity')} />`}
        <//>
        <${Field} label="Where guests meet" name="meeting_point" error=${error} hint="Up to 200 characters; shown to guests with the times.">
          ${(a) => html`<input ...${attrs(a)} type="text" maxlength="200" value=${values.meeting_point} onInput=${set('meeting_point')} />`}
        <//>
        <${Field} label="Notes" name="notes" error=${error}>
          ${(a) => html`<textarea ...${attrs(a)} maxlength="2000" value=${values.notes} onInput=${set('notes')}></textarea>`}
        <//>
        ${sail.series_id ? html`
          <div class="field">
            <label class="choice">
              <input type="checkbox" name="rest_of_series" checked=${values.rest_of_series} onChange=${set('rest_of_series')} />
              ${' '}Also the later sails of this weekly series (a new date moves each of them as many days)
            </label>
          </div>` : null}
        ${error && error.field === 'shift_days' ? html`<p class="field-error" role="alert">${error.message}</p>` : null}
        <${ErrorNotice} error=${form.notice} />
        <div class="actions">
          <button type="submit" class="primary" disabled=${busy}>${busy ? 'Saving…' : 'Save changes'}</button>
          <button type="button" onClick=${onCancel}>Discard</button>
        </div>
      </form>
    </section>`;
}

function CancelSail({ sail, onDone, onBack }) {
  const form = useForm({
    initial: { reason: '', rest_of_series: false },
    submit: (values) => post(
      `/sails/${encodeURIComponent(sail.id)}/${values.rest_of_series && sail.series_id ? 'series/cancel' : 'cancel'}`,
      { reason: values.reason },
    ),
    done: (answer) => onDone(answer.notified, answer.cancelled ? answer.cancelled.length : 1),
  });
  return html`
    <section class="card cancel-sail" aria-labelledby="cancel-heading">
      <h2 id="cancel-heading">Cancel this sail?</h2>
      <p>Everyone holding a role and every guest is told by email. The sail stays listed, marked cancelled.</p>
      <form onSubmit=${form.onSubmit}>
        <${Field} label="Reason (sent to them, optional)" name="reason" error=${form.error}>
          ${({ id }) => html`<textarea id=${id} maxlength="500" value=${form.values.reason} onInput=${form.set('reason')}></textarea>`}
        <//>
        ${sail.series_id ? html`
          <div class="field">
            <label class="choice">
              <input type="checkbox" name="rest_of_series" checked=${form.values.rest_of_series}
                onChange=${form.set('rest_of_series')} />
              ${' '}Also cancel the later sails of this weekly series
            </label>
          </div>` : null}
        <${ErrorNotice} error=${form.notice} />
        <div class="actions">
          <button type="submit" class="danger" disabled=${form.busy}>${form.busy ? 'Cancelling…'
            : form.values.rest_of_series ? 'Yes, cancel these sails' : 'Yes, cancel the sail'}</button>
          <button type="button" onClick=${onBack}>Keep the sail</button>
        </div>
      </form>
    </section>`;
}

export function SailPage({ params, query, session }) {
  const sailId = params.id;
  const [sail, setSail] = useState(null);
  const [error, setError] = useState(null);
  const [openList, setOpenList] = useState(null);
  const [mode, setMode] = useState('view'); // view | edit | cancel
  const [message, setMessage] = useState(null);
  const [online, setOnline] = useState(() => navigator.onLine);
  const [unsent, setUnsent] = useState([]); // ticks the server refused when they were finally sent
  const [kept, setKept] = useState(false); // the offline cache holds this sail

  const reload = useCallback(async () => {
    const path = `/sails/${encodeURIComponent(sailId)}`;
    try {
      // the first read may already be under way (app.js starts it alongside /api/me)
      setSail(await (takeEarly(path) || get(path)));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [sailId]);

  const flush = useCallback(async () => {
    if (!pendingTicks(sailId).length) return;
    const result = await sendPendingTicks();
    if (result.refused.length) setUnsent((previous) => [...previous, ...result.refused]);
    if (result.sent || result.refused.length) await reload();
  }, [sailId, reload]);

  const loaded = Boolean(sail);
  useEffect(() => {
    if (!loaded || sail.offline_copy) return;
    registerServiceWorker([
      { url: '/api/me', body: session },
      { url: `/api/sails/${encodeURIComponent(sailId)}`, body: sail },
    ], () => cacheHolds(sailId).then(setKept));
    cacheHolds(sailId).then(setKept);
  }, [loaded]);

  useEffect(() => {
    reload().then(flush);
    const goesOnline = () => { setOnline(true); flush().then(reload); };
    const goesOffline = () => setOnline(false);
    window.addEventListener('online', goesOnline);
    window.addEventListener('offline', goesOffline);
    return () => {
      window.removeEventListener('online', goesOnline);
      window.removeEventListener('offline', goesOffline);
    };
  }, [sailId]);

  if (!sail) {
    return html`
      <section class="card">
        <h1>Sail</h1>
        ${error ? html`<${ErrorNotice} error=${error} /><p><a href="#/sails">Back to the sails</a></p>`
          : html`<p class="loading">Loading the sail…</p>`}
      </section>`;
  }

  const isAdmin = session && session.role === 'admin';
  const isCrew = session && session.role !== 'guest';
  const cancelled = sail.status === 'cancelled';
  const offlineCopy = sail.offline_copy || (!online ? {} : null);
  const waiting = pendingTicks(sail.id).length;

  return html`
    <article class="sail-page">
      <section class="card sail-head">
        ${isCrew ? html`<p class="back"><a href="#/sails">← All sails</a></p>` : null}
        <h1>${sail.title}</h1>
        <p class="sail-date">${formatDate(sail.date)}
          ${cancelled ? html` <span class="badge badge-danger">Cancelled</span>` : null}</p>
        ${sail.series_id ? html`<p class="hint series-note">One of a weekly series.</p>` : null}
        ${sail.notes ? html`<p class="sail-notes"><${LinkedText} text=${sail.notes} /></p>` : null}
        ${cancelled && sail.cancel_reason ? html`<p>Why: ${sail.cancel_reason}</p>` : null}
      </section>
      ${offlineCopy ? html`
        <p class="notice notice-warn" role="status">
          No connection. ${offlineCopy.saved_at ? `This is the copy saved at ${formatTime(offlineCopy.saved_at)}. ` : ''}
          Ticks you make are kept on this phone and sent when the connection returns.</p>` : null}
      ${waiting && !openList ? html`
        <p class="notice notice-warn" role="status">${waiting === 1 ? '1 tick has' : `${waiting} ticks have`} not been sent yet.
          ${' '}They will be sent when the connection returns.</p>` : null}
      ${unsent.length ? html`
        <div class="notice notice-error" role="alert">
          <p>These ticks made without a connection were <strong>not</strong> saved:</p>
          <ul>${unsent.map(({ tick, message: why }) => html`<li>“${tick.label}”: ${why}</li>`)}</ul>
          <button type="button" onClick=${() => setUnsent([])}>Understood</button>
        </div>` : null}
      ${message ? html`<${Notice}>${message}<//>` : null}
      ${error ? html`<${ErrorNotice} error=${error} />` : null}
      <${TimingPanel} times=${sail} />
      ${sail.meeting_point ? html`<p class="sail-meeting">Guests meet at: <strong>${sail.meeting_point}</strong></p>` : null}
      ${kept && !offlineCopy ? html`<p class="hint offline-ready">Saved on this ${deviceWord()}: this page and its checklists open without a connection.</p>` : null}
      <${ChecklistButtons} sail=${sail} onOpen=${setOpenList} />
      <${RoleBoard} sail=${sail} session=${session} query=${query} onChange=${reload} />
      <${GuestManifest} sail=${sail} session=${session} onChange=${reload} />
      ${isAdmin && !cancelled && !offlineCopy && mode === 'view' ? html`
        <div class="actions sail-admin-actions">
          <button type="button" onClick=${() => { setMessage(null); setMode('edit'); }}>Edit sail</button>
          <button type="button" class="danger" onClick=${() => { setMessage(null); setMode('cancel'); }}>Cancel sail</button>
        </div>` : null}
      ${isAdmin && mode === 'edit' ? html`
        <${EditSail} sail=${sail} onCancel=${() => setMode('view')} onRefreshed=${setSail}
          onSaved=${async (answer) => {
            setMode('view');
            setMessage(answer && answer.sails ? `Saved: ${answer.sails.length === 1 ? '1 sail' : `${answer.sails.length} sails`} of the series.` : 'Saved.');
            await reload();
          }} />` : null}
      ${isAdmin && mode === 'cancel' ? html`
        <${CancelSail} sail=${sail} onBack=${() => setMode('view')}
          onDone=${async (notified, count) => {
            setMode('view');
            const what = count > 1 ? `${count} sails of the series are cancelled.` : 'The sail is cancelled.';
            setMessage(`${what} ${notified === 1 ? '1 person was' : `${notified} people were`} told by email.`);
            await reload();
          }} />` : null}
      ${isAdmin ? html`<${SailHistory} entries=${sail.history} sail=${sail} />` : null}
      ${openList ? html`
        <${ChecklistModal} sail=${sail} list=${openList} session=${session} offline=${Boolean(offlineCopy)}
          onClose=${() => setOpenList(null)} onChange=${reload} />` : null}
    </article>`;
}
