// The checklist modal: tick items (who ticked what, and when), see the progress; admins edit
// the sail's list. Ticks made without a connection are kept on the phone and sent when the
// connection returns; the page says plainly which ones have not been sent.
import { html, useEffect, useRef, useState } from '../html.js';
import { api, post, patch } from '../api.js';
import { ErrorNotice, formatTime, useForm } from './base.js';

const QUEUE_KEY = 'qd-pending-ticks';

// --- ticks waiting for a connection ------------------------------------------------------
export function pendingTicks(sailId) {
  let all = [];
  try { all = JSON.parse(localStorage.getItem(QUEUE_KEY) || '[]'); } catch { all = []; }
  if (!Array.isArray(all)) all = [];
  return sailId ? all.filter((t) => t.sail_id === sailId) : all;
}

function savePending(ticks) {
  try {
    if (ticks.length) localStorage.setItem(QUEUE_KEY, JSON.stringify(ticks));
    else localStorage.removeItem(QUEUE_KEY);
  } catch { /* storage full or blocked: the page still says the tick was not sent */ }
}

const sameItem = (a, b) => a.sail_id === b.sail_id && a.list === b.list && a.n === b.n;

export function queueTick(tick) {
  savePending([...pendingTicks().filter((t) => !sameItem(t, tick)), tick]);
}

const tickPath = (t) => `/sails/${encodeURIComponent(t.sail_id)}/checklists/${t.list}/items/${t.n}`;

// Send what is waiting. Returns { sent, refused: [{tick, message}], waiting }.
export async function sendPendingTicks() {
  const result = { sent: 0, refused: [], waiting: 0 };
  let queue = pendingTicks();
  for (const tick of [...queue]) {
    try {
      await post(tickPath(tick), { done: tick.done });
      result.sent += 1;
      queue = queue.filter((t) => !sameItem(t, tick));
    } catch (error) {
      if (error.code === 'offline') break; // still no connection: keep them all
      result.refused.push({ tick, message: error.message });
      queue = queue.filter((t) => !sameItem(t, tick));
    }
  }
  savePending(queue);
  result.waiting = queue.length;
  return result;
}

// --- the modal ------------------------------------------------------------------------
function ItemEditor({ item, onRename, onRemove, busy }) {
  const [label, setLabel] = useState(item.label);
  const id = `edit-item-${item.n}`;
  return html`
    <li class="check-edit">
      <label for=${id} class="visually-hidden">Item ${item.n}</label>
      <input id=${id} type="text" maxlength="160" value=${label} onInput=${(e) => setLabel(e.target.value)} />
      <div class="check-edit-actions">
        <button type="button" disabled=${busy || label.trim() === item.label} onClick=${() => onRename(item, label)}>
          Save<span class="visually-hidden"> item ${item.n}</span></button>
        <button type="button" class="danger" disabled=${busy} onClick=${() => onRemove(item)}>
          Remove<span class="visually-hidden"> “${item.label}”</span></button>
      </div>
    </li>`;
}

export function ChecklistModal({ sail, list, session, onClose, onChange, offline }) {
  const dialog = useRef(null);
  const [busy, setBusy] = useState(null); // item number being sent, or 'edit'
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(false);
  const [queued, setQueued] = useState(() => pendingTicks(sail.id).filter((t) => t.list === list));
  const [sending, setSending] = useState({}); // n -> done, shown at once while the tick is sent

  useEffect(() => {
    const node = dialog.current;
    if (node && !node.open) node.showModal();
    const closed = () => onClose();
    node.addEventListener('close', closed);
    return () => node.removeEventListener('close', closed);
  }, []);

  const checklist = sail.checklists[list];
  const canTick = session && session.role !== 'guest' && sail.status !== 'cancelled';
  const isAdmin = session && session.role === 'admin' && sail.status !== 'cancelled' && !offline;
  const waiting = (n) => queued.find((t) => t.n === n);
  const items = checklist.items.map((item) => {
    if (item.n in sending) return { ...item, done: sending[item.n], sending: true };
    const pending = waiting(item.n);
    return pending ? { ...item, done: pending.done, pending: true } : item;
  });
  const done = items.filter((i) => i.done).length;

  const tick = async (item, value) => {
    setBusy(item.n);
    setError(null);
    setSending((previous) => ({ ...previous, [item.n]: value }));
    const request = { sail_id: sail.id, list, n: item.n, done: value, label: item.label, at: new Date().toISOString() };
    try {
      await post(tickPath(request), { done: value });
      const left = pendingTicks().filter((t) => !sameItem(t, request));
      savePending(left);
      setQueued(left.filter((t) => t.sail_id === sail.id && t.list === list));
      await onChange();
    } catch (failure) {
      if (failure.code === 'offline') {
        queueTick(request);
        setQueued(pendingTicks(sail.id).filter((t) => t.list === list));
      } else {
        setError(failure);
      }
    } finally {
      setSending((previous) => {
        const next = { ...previous };
        delete next[item.n];
        return next;
      });
      setBusy(null);
    }
  };

  // Editing the list (admins): one form helper for the add form and the rename / remove buttons.
  const base = `/sails/${encodeURIComponent(sail.id)}/checklists/${list}/items`;
  const editor = useForm({
    initial: { label: '' },
    submit: (values) => post(base, { label: values.label }),
    done: async () => { editor.reset({ label: '' }); await onChange(); },
  });
  const rename = (item, label) => editor.run(() => patch(`${base}/${item.n}`, { label }), onChange);
  const remove = (item) => editor.run(() => api('DELETE', `${base}/${item.n}`), onChange);
  const editorBusy = editor.busy;

  const titleId = `checklist-${list}-title`;
  return html`
    <dialog ref=${dialog} class="checklist-modal" aria-labelledby=${titleId}>
      <div class="checklist-head">
        <h2 id=${titleId}>${checklist.title}</h2>
        <button type="button" class="checklist-close" onClick=${() => dialog.current.close()}>Close</button>
      </div>
      <p class="checklist-progress-text">${done} of ${items.length} done</p>
      <progress class="checklist-progress" max=${items.length || 1} value=${done}
        aria-label=${`${checklist.title}: ${done} of ${items.length} done`}></progress>
      ${queued.length ? html`
        <p class="notice notice-warn" role="status">
          ${queued.length === 1 ? '1 tick has' : `${queued.length} ticks have`} not been sent: there is no connection.
          ${' '}They are kept on this phone and will be sent when the connection returns.</p>` : null}
      ${sail.status === 'cancelled' ? html`<p class="notice">This sail is cancelled; its checklists are closed.</p>` : null}
      <${ErrorNotice} error=${error || editor.error} />
      ${editing ? html`
        <ul class="check-list">
          ${checklist.items.map((item) => html`
            <${ItemEditor} key=${`${item.n}:${item.label}`} item=${item} busy=${busy !== null || editorBusy}
              onRename=${rename} onRemove=${remove} />`)}
        </ul>
        <form class="check-add" onSubmit=${editor.onSubmit}>
          <label for=${`add-${list}`}>New item</label>
          <input id=${`add-${list}`} type="text" maxlength="160" value=${editor.values.label}
            onInput=${editor.set('label')} />
          <button type="submit" disabled=${busy !== null || editorBusy || !editor.values.label.trim()}>Add item</button>
        </form>` : html`
        <ul class="check-list">
          ${items.map((item) => html`
            <li key=${item.n} class=${`check-item${item.done ? ' check-done' : ''}`}>
              <input type="checkbox" id=${`check-${list}-${item.n}`} checked=${item.done}
                disabled=${!canTick || busy === item.n}
                aria-describedby=${`check-${list}-${item.n}-meta`}
                onChange=${(e) => tick(item, e.target.checked)} />
              <label for=${`check-${list}-${item.n}`}>${item.label}</label>
              <p class="check-meta" id=${`check-${list}-${item.n}-meta`}>
                ${item.sending ? 'Sending…' : item.pending
                  ? html`<strong>Not sent yet</strong> (no connection)`
                  : item.done
                    ? item.done_by ? `Ticked by ${item.done_by} at ${formatTime(item.done_at)}` : 'Done'
                    : 'Not done'}
              </p>
            </li>`)}
        </ul>`}
      <div class="actions">
        ${isAdmin ? html`
          <button type="button" onClick=${() => setEditing(!editing)}>
            ${editing ? 'Done editing' : 'Edit this list'}</button>` : null}
        <button type="button" class="primary" onClick=${() => dialog.current.close()}>Close checklist</button>
      </div>
    </dialog>`;
}
