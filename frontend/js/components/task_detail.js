// A task opened from its card: what it is, where it came from, its history, and an edit form.
import { html, useState, useEffect, useRef } from '../html.js';
import { api, get, patch } from '../api.js';
import {
  ConflictNotice, ErrorNotice, useForm, zonedFormat,
} from './base.js';
import {
  STATUSES, STATUS_LABELS, ENTITIES, OWNER_ROLES, DueText, SourceText,
} from './task_card.js';

// "Nov 23, 2026, 3:22 AM" in San Diego time.
const formatMoment = (iso) => (iso ? zonedFormat({ dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '—');

const TASK_FIELDS = {
  title: 'Title', status: 'Column', entity: 'Entity', owner: 'Owner', due: 'Due date', detail: 'Detail',
};

function formOf(task) {
  return {
    title: task.title || '',
    detail: task.detail || '',
    entity: task.entity || '',
    owner: task.owner || '',
    due: task.due || '',
    status: task.status,
  };
}

// A labelled control whose API error (error.field === name) shows beneath it; ids are this form's own.
function EditField({ label, name, error, children }) {
  const id = `task-edit-${name}`;
  const message = error && error.field === name ? error.message : null;
  return html`
    <div class=${`field${message ? ' field-invalid' : ''}`}>
      <label for=${id}>${label}</label>
      ${children({ id, invalid: Boolean(message), describedBy: message ? `${id}-error` : undefined })}
      ${message ? html`<p class="field-error" id=${`${id}-error`} role="alert">${message}</p>` : null}
    </div>`;
}

function History({ entries }) {
  if (!entries || !entries.length) return html`<p>No moves yet.</p>`;
  return html`
    <ol class="task-history">
      ${[...entries].reverse().map((entry, i) => html`
        <li key=${i}>
          <strong>${entry.from ? `${STATUS_LABELS[entry.from] || entry.from} → ${STATUS_LABELS[entry.to] || entry.to}` : `Created in ${STATUS_LABELS[entry.to] || entry.to}`}</strong>
          <span> by ${entry.by || 'someone'}, </span>
          <time datetime=${entry.at}>${formatMoment(entry.at)}</time>
        </li>`)}
    </ol>`;
}

export function TaskDetail({ task, today, onClose, onSaved }) {
  const dialog = useRef(null);
  const [saved, setSaved] = useState(false);
  const path = `/tasks/${encodeURIComponent(task.id)}`;
  const form = useForm({
    initial: formOf(task),
    base: task,
    valuesOf: formOf,
    fieldId: (name) => `task-edit-${name}`,
    submit: async (values, was) => {
      const changes = {};
      for (const [name, value] of Object.entries(values)) {
        if (value !== (was[name] ?? '')) changes[name] = name === 'due' && value === '' ? null : value;
      }
      return Object.keys(changes).length ? patch(path, { version: was.version, ...changes }) : null;
    },
    done: (updated) => {
      setSaved(true);
      if (!updated) return;
      form.setBase(updated);
      form.reset(formOf(updated));
      onSaved(updated);
    },
    // Someone else changed it first: show what changed; the person's input stays, to apply again.
    refetch: async () => {
      const current = await get(path);
      onSaved(current);
      return current;
    },
  });
  const { values, error, busy } = form;
  const base = form.base;

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => { if (element && element.open) element.close(); };
  }, []);

  const set = (name) => (event) => { form.set(name)(event); setSaved(false); };
  // DELETE archives (the server keeps the card and its history); the board drops it once told.
  const archive = () => form.run(() => api('DELETE', path), (archived) => {
    onSaved(archived);
    if (dialog.current && dialog.current.open) dialog.current.close();
  });

  const shown = base;
  return html`
    <dialog ref=${dialog} class="task-dialog" aria-labelledby="task-detail-title" onClose=${onClose}>
      <div class="task-dialog-head">
        <h2 id="task-detail-title">${shown.title}</h2>
        <button type="button" class="task-dialog-close" onClick=${() => dialog.current.close()}>Close</button>
      </div>
      <p class="task-meta">
        <span class="badge">${STATUS_LABELS[shown.status] || shown.status}</span>
        ${shown.entity ? html`<span class="badge task-entity"><span class="visually-hidden">Entity: </span>${shown.entity}</span>` : null}
        ${shown.owner ? html`<span class="task-owner">Owner: ${shown.owner}</span>` : null}
        <${DueText} task=${shown} today=${today} />
      </p>
      ${shown.detail ? html`<p class="task-detail-text">${shown.detail}</p>` : null}
      <p class="task-meta">Source: <${SourceText} source=${shown.source} /></p>
      <p class="task-meta">Added by ${shown.created_by || 'someone'}, ${formatMoment(shown.created_at)} · version ${shown.version}</p>

      <h3>History</h3>
      <${History} entries=${shown.history} />

      <h3>Edit</h3>
      <form onSubmit=${form.onSubmit} noValidate>
        <${ConflictNotice} form=${form} labels=${TASK_FIELDS} />
        <${EditField} label="Title" name="title" error=${error}>
          ${({ id, invalid, describedBy }) => html`<input id=${id} required maxlength="200" value=${values.title}
            aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('title')} />`}
        <//>
        <${EditField} label="Column" name="status" error=${error}>
          ${({ id, invalid, describedBy }) => html`<select id=${id} value=${values.status}
            aria-invalid=${invalid} aria-describedby=${describedBy} onChange=${set('status')}>
            ${STATUSES.map((s) => html`<option key=${s} value=${s}>${STATUS_LABELS[s]}</option>`)}
          </select>`}
        <//>
        <${EditField} label="Entity" name="entity" error=${error}>
          ${({ id, invalid, describedBy }) => html`<input id=${id} list="task-entities" maxlength="80" value=${values.entity}
            aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('entity')} />`}
        <//>
        <${EditField} label="Owner" name="owner" error=${error}>
          ${({ id, invalid, describedBy }) => html`<input id=${id} list="task-owners" maxlength="120" value=${values.owner}
            aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('owner')} />`}
        <//>
        <${EditField} label="Due date" name="due" error=${error}>
          ${({ id, invalid, describedBy }) => html`<input id=${id} type="date" value=${values.due}
            aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('due')} />`}
        <//>
        <${EditField} label="Detail" name="detail" error=${error}>
          ${({ id, invalid, describedBy }) => html`<textarea id=${id} maxlength="4000" value=${values.detail}
            aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('detail')}></textarea>`}
        <//>
        <${ErrorNotice} error=${form.notice} />
        ${saved ? html`<p class="notice" role="status">Saved.</p>` : null}
        <div class="actions">
          <button type="submit" class="primary" disabled=${busy}>${busy ? 'Saving…' : 'Save changes'}</button>
        </div>
      </form>
      ${shown.status === 'archived' ? html`<p class="notice" role="status">Archived: off the board, its history kept.</p>` : html`
        <h3>Archive</h3>
        <p class="hint">Takes the card off the board; it keeps its history. A report finding its action again leaves it archived.</p>
        <div class="actions">
          <button type="button" disabled=${busy} onClick=${archive}>Archive this card</button>
        </div>`}
    </dialog>`;
}

// Suggestions for the entity and owner inputs (any other text is fine too).
export function TaskSuggestions() {
  return html`
    <datalist id="task-entities">${ENTITIES.map((e) => html`<option key=${e} value=${e} />`)}</datalist>
    <datalist id="task-owners">${OWNER_ROLES.map((o) => html`<option key=${o} value=${o} />`)}</datalist>`;
}
