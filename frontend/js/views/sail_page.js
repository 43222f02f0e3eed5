// One sail: when to be at the dock, who is on it, its checklists; admins edit, cancel, see history.
import { html, useCallback, useEffect, useState } from '../html.js';
import { get, patch, post } from '../api.js';
import { ErrorNotice, Field, Notice, formatDate, formatTime } from '../components.js';
import { RoleBoard } from './role_board.js';
import { GuestManifest } from './guest_manifest.js';
import { TimingPanel } from './timing_panel.js';
import { TimingPreview } from './new_sail.js';
import { ChecklistModal, pendingTicks, sendPendingTicks } from './checklist_modal.js';

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

function EditSail({ sail, onSaved, onCancel }) {
  const [form, setForm] = useState({
    title: sail.title, date: sail.date, crew_slots: String(sail.crew_slots), notes: sail.notes || '',
  });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (name) => (event) => setForm({ ...form, [name]: event.target.value });

  const save = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const changes = { version: sail.version };
    if (form.title !== sail.title) changes.title = form.title;
    if (form.date !== sail.date) changes.date = form.date;
    if (form.notes !== (sail.notes || '')) changes.notes = form.notes;
    if (form.crew_slots !== String(sail.crew_slots)) {
      changes.crew_slots = /^\d+$/.test(form.crew_slots.trim()) ? Number(form.crew_slots) : form.crew_slots;
    }
    try {
      await patch(`/sails/${encodeURIComponent(sail.id)}`, changes);
      await onSaved();
    } catch (failure) {
      setError(failure);
      const input = failure.field && document.getElementById(`field-${failure.field}`);
      if (input) input.focus();
    } finally {
      setBusy(false);
    }
  };

  const attrs = ({ id, invalid, describedBy }) => ({
    id, 'aria-invalid': invalid ? 'true' : 'false', 'aria-describedby': describedBy,
  });
  return html`
    <section class="card" aria-labelledby="edit-heading">
      <h2 id="edit-heading">Edit sail</h2>
      <form onSubmit=${save} noValidate>
        <${Field} label="Date" name="date" error=${error} hint="A new date moves the times and tells the people on the sail.">
          ${(a) => html`<input ...${attrs(a)} type="date" value=${form.date} onInput=${set('date')} onChange=${set('date')} />`}
        <//>
        ${form.date !== sail.date ? html`<${TimingPreview} date=${form.date} />` : null}
        <${Field} label="Title" name="title" error=${error}>
          ${(a) => html`<input ...${attrs(a)} type="text" maxlength="120" value=${form.title} onInput=${set('title')} />`}
        <//>
        <${Field} label="Crew slots (besides the captain)" name="crew_slots" error=${error} hint="0 to 8.">
          ${(a) => html`<input ...${attrs(a)} type="number" inputmode="numeric" min="0" max="8" value=${form.crew_slots}
            onInput=${set('crew_slots')} />`}
        <//>
        <${Field} label="Notes" name="notes" error=${error}>
          ${(a) => html`<textarea ...${attrs(a)} maxlength="2000" value=${form.notes} onInput=${set('notes')}></textarea>`}
        <//>
        <${ErrorNotice} error=${error && !error.field ? error : null} />
        <div class="actions">
          <button type="submit" class="primary" disabled=${busy}>${busy ? 'Saving…' : 'Save changes'}</button>
          <button type="button" onClick=${onCancel}>Discard</button>
        </div>
      </form>
    </section>`;
}

function CancelSail({ sail, onDone, onBack }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const cancel = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await post(`/sails/${encodeURIComponent(sail.id)}/cancel`, { reason });
      await onDone(answer.notified);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <section class="card cancel-sail" aria-labelledby="cancel-heading">
      <h2 id="cancel-heading">Cancel this sail?</h2>
      <p>Everyone holding a role and every guest is told by email. The sail stays listed, marked cancelled.</p>
      <form onSubmit=${cancel}>
        <${Field} label="Reason (sent to them, optional)" name="reason" error=${error}>
          ${({ id }) => html`<textarea id=${id} maxlength="500" value=${reason} onInput=${(e) => setReason(e.target.value)}></textarea>`}
        <//>
        <${ErrorNotice} error=${error && !error.field ? error : null} />
        <div class="actions">
          <button type="submit" class="danger" disabled=${busy}>${busy ? 'Cancelling…' : 'Yes, cancel the sail'}</button>
          <button type="button" onClick=${onBack}>Keep the sail</button>
        </div>
      </form>
    </section>`;
}

function describe(entry) {
  const detail = entry.detail || {};
  const parts = Object.entries(detail).map(([key, value]) => {
    if (value && typeof value === 'object' && 'to' in value) return `${key}: ${value.from ?? '—'} → ${value.to}`;
    return `${key}: ${typeof value === 'object' ? JSON.stringify(value) : value}`;
  });
  return parts.join(', ');
}

function History({ entries }) {
  if (!entries) return null;
  const newestFirst = [...entries].reverse();
  return html`
    <section class="card" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      <ol class="history-list">
        ${newestFirst.map((entry) => html`
          <li>
            <span class="history-when">${formatDate(entry.at.slice(0, 10))} ${formatTime(entry.at)}</span>
            <span class="history-what"><strong>${entry.action.replace(/[._]/g, ' ')}</strong>
              ${' '}by ${entry.actor}${describe(entry) ? html` <span class="history-detail">(${describe(entry)})</span>` : null}</span>
          </li>`)}
      </ol>
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
  const [kept, setKept] = useState(false); // the service worker has kept this page for offline use

  const reload = useCallback(async () => {
    try {
      setSail(await get(`/sails/${encodeURIComponent(sailId)}`));
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
    ], () => setKept(true));
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
        ${sail.notes ? html`<p class="sail-notes">${sail.notes}</p>` : null}
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
      ${kept && !offlineCopy ? html`<p class="hint offline-ready">Saved on this phone: this page and its checklists open without a connection.</p>` : null}
      <${ChecklistButtons} sail=${sail} onOpen=${setOpenList} />
      <${RoleBoard} sail=${sail} session=${session} query=${query} onChange=${reload} />
      <${GuestManifest} sail=${sail} session=${session} onChange=${reload} />
      ${isAdmin && !cancelled && !offlineCopy && mode === 'view' ? html`
        <div class="actions sail-admin-actions">
          <button type="button" onClick=${() => { setMessage(null); setMode('edit'); }}>Edit sail</button>
          <button type="button" class="danger" onClick=${() => { setMessage(null); setMode('cancel'); }}>Cancel sail</button>
        </div>` : null}
      ${isAdmin && mode === 'edit' ? html`
        <${EditSail} sail=${sail} onCancel=${() => setMode('view')}
          onSaved=${async () => { setMode('view'); setMessage('Saved.'); await reload(); }} />` : null}
      ${isAdmin && mode === 'cancel' ? html`
        <${CancelSail} sail=${sail} onBack=${() => setMode('view')}
          onDone=${async (notified) => {
            setMode('view');
            setMessage(`The sail is cancelled. ${notified === 1 ? '1 person was' : `${notified} people were`} told by email.`);
            await reload();
          }} />` : null}
      ${isAdmin ? html`<${History} entries=${sail.history} />` : null}
      ${openList ? html`
        <${ChecklistModal} sail=${sail} list=${openList} session=${session} offline=${Boolean(offlineCopy)}
          onClose=${() => setOpenList(null)} onChange=${reload} />` : null}
    </article>`;
}
