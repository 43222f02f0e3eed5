// The progress dashboard: tasks in three columns (pending → in review → completed).
// Move a card by dragging it, or focus it and press ← / →; every move carries the version it
// was made from, so a stale move is refused (409) and the board reloads instead of overwriting.
import { html, useState, useEffect, useRef, useCallback, useMemo } from '../html.js';
import { get, post, patch } from '../api.js';
import {
  ErrorNotice, Field, STATUSES, STATUS_LABELS, TaskCard, TaskDetail, TaskSuggestions, useForm,
} from '../components.js';
import { go } from '../router.js';

const byRecent = (a, b) => Date.parse(b.updated_at || 0) - Date.parse(a.updated_at || 0);
const distinct = (tasks, name) => [...new Set(tasks.map((t) => t[name]).filter(Boolean))].sort((a, b) => a.localeCompare(b));

function NewTaskForm({ defaults, onCreated, onCancel }) {
  const form = useForm({
    initial: { title: '', detail: '', entity: defaults.entity || '', owner: defaults.owner || '', due: '' },
    submit: (values) => post('/tasks', { ...values, due: values.due || null }),
    done: onCreated,
  });
  const { values, error, busy, set } = form;
  const first = useRef(null);
  useEffect(() => { if (first.current) first.current.focus(); }, []);

  return html`
    <form class="card task-new" onSubmit=${form.onSubmit} noValidate aria-labelledby="task-new-title">
      <h2 id="task-new-title">New task</h2>
      <${Field} label="Title" name="title" error=${error}>
        ${({ id, invalid, describedBy }) => html`<input id=${id} ref=${first} required maxlength="200" value=${values.title}
          aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('title')} />`}
      <//>
      <${Field} label="Entity" name="entity" error=${error} hint="JADA, Queen of San Diego, QuickDumpNow, …">
        ${({ id, invalid, describedBy }) => html`<input id=${id} list="task-entities" maxlength="80" value=${values.entity}
          aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('entity')} />`}
      <//>
      <${Field} label="Owner" name="owner" error=${error} hint="A role (CEO, CTO, CFO, CMO, Accounting) or a person">
        ${({ id, invalid, describedBy }) => html`<input id=${id} list="task-owners" maxlength="120" value=${values.owner}
          aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('owner')} />`}
      <//>
      <${Field} label="Due date" name="due" error=${error}>
        ${({ id, invalid, describedBy }) => html`<input id=${id} type="date" value=${values.due}
          aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('due')} />`}
      <//>
      <${Field} label="Detail" name="detail" error=${error}>
        ${({ id, invalid, describedBy }) => html`<textarea id=${id} maxlength="4000" value=${values.detail}
          aria-invalid=${invalid} aria-describedby=${describedBy} onInput=${set('detail')}></textarea>`}
      <//>
      <${ErrorNotice} error=${form.notice} />
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy}>${busy ? 'Adding…' : 'Add task'}</button>
        <button type="button" onClick=${onCancel}>Cancel</button>
      </div>
    </form>`;
}

function Filter({ label, name, value, options, onChange }) {
  const id = `board-filter-${name}`;
  return html`
    <div class="board-filter">
      <label for=${id}>${label}</label>
      <select id=${id} value=${value} onChange=${(e) => onChange(name, e.target.value)}>
        <option value="">All</option>
        ${options.map((o) => html`<option key=${o} value=${o}>${o}</option>`)}
        ${value && !options.includes(value) ? html`<option value=${value}>${value}</option>` : null}
      </select>
    </div>`;
}

export function TaskBoard({ query = {}, session }) {
  const [tasks, setTasks] = useState(null);
  const [today, setToday] = useState('');
  const [completedLimit, setCompletedLimit] = useState(null); // set when the board's answer was cut at its limit
  const [loadError, setLoadError] = useState(null);
  const [error, setError] = useState(null);
  const [announcement, setAnnouncement] = useState('');
  const [saving, setSaving] = useState(() => new Set());
  const [openId, setOpenId] = useState(null);
  const [adding, setAdding] = useState(false);
  const [dragging, setDragging] = useState(null);
  const [dropTarget, setDropTarget] = useState(null);
  const [focusId, setFocusId] = useState(null);
  const saved = useRef(new Map()); // id -> the task as the server last answered (its version)
  const queue = useRef(new Map()); // id -> the promise of that card's last move: moves of one card go in order

  const isAdmin = session && session.role === 'admin';
  const entity = query.entity || '';
  const owner = query.owner || '';

  const load = useCallback(async () => {
    try {
      const board = await get('/tasks');
      const all = STATUSES.flatMap((s) => board.columns[s] || []);
      saved.current = new Map(all.map((t) => [t.id, t]));
      setTasks(all);
      setToday(board.today);
      // The completed column holds only the most recent ones: say so when it came back full.
      const limit = Number(board.completed_limit) || null;
      setCompletedLimit(limit && (board.columns.completed || []).length >= limit ? limit : null);
      setLoadError(null);
    } catch (failure) {
      setLoadError(failure);
    }
  }, []);

  useEffect(() => { if (isAdmin) load(); }, [isAdmin]);

  // After a keyboard move the card is drawn in its new column: keep the focus on it.
  useEffect(() => {
    if (!focusId) return;
    const card = document.querySelector(`[data-task-id="${CSS.escape(focusId)}"] .task-open`);
    if (card) {
      if (document.activeElement !== card) card.focus();
      setFocusId(null);
    }
  }, [focusId, tasks]);

  const replace = (task) => setTasks((current) => (current || []).map((t) => (t.id === task.id ? task : t)));
  const markSaving = (id, on) => setSaving((current) => {
    const next = new Set(current);
    if (on) next.add(id); else next.delete(id);
    return next;
  });

  const move = (task, to) => {
    if (!STATUSES.includes(to) || task.status === to) return;
    const label = STATUS_LABELS[to];
    setError(null);
    // Shown at once; saved in order, each move from the version the previous one answered.
    replace({ ...task, status: to, updated_at: new Date().toISOString() });
    markSaving(task.id, true);
    const run = async () => {
      const base = saved.current.get(task.id) || task;
      try {
        const answer = await patch(`/tasks/${encodeURIComponent(task.id)}`, { version: base.version, status: to });
        saved.current.set(answer.id, answer);
        if (queue.current.get(task.id) === promise) replace(answer);
        setAnnouncement(`Moved “${task.title}” to ${label}.`);
      } catch (failure) {
        setError(failure);
        setAnnouncement(`Could not move “${task.title}”: ${failure.message}`);
        if (failure.status === 409 || failure.status === 404) await load();
        else replace(saved.current.get(task.id) || task);
      }
    };
    const promise = (queue.current.get(task.id) || Promise.resolve()).then(run);
    queue.current.set(task.id, promise);
    promise.finally(() => {
      if (queue.current.get(task.id) === promise) {
        queue.current.delete(task.id);
        markSaving(task.id, false);
      }
    });
  };

  const keyMove = (task, step) => {
    const index = STATUSES.indexOf(task.status) + step;
    if (index < 0 || index >= STATUSES.length) {
      setAnnouncement(`“${task.title}” is already in ${STATUS_LABELS[task.status]}, the ${step < 0 ? 'first' : 'last'} column.`);
      return;
    }
    setFocusId(task.id);
    move(task, STATUSES[index]);
  };

  const dragOver = (status) => (event) => {
    if (!dragging) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = 'move';
    if (dropTarget !== status) setDropTarget(status);
  };
  const drop = (status) => (event) => {
    event.preventDefault();
    const id = event.dataTransfer.getData('text/plain') || (dragging && dragging.id);
    const task = (tasks || []).find((t) => t.id === id);
    setDragging(null);
    setDropTarget(null);
    if (task) move(task, status);
  };
  const dragEnd = () => { setDragging(null); setDropTarget(null); };

  const setFilter = (name, value) => {
    const next = new URLSearchParams({ ...query, [name]: value });
    for (const [key, v] of [...next.entries()]) if (!v) next.delete(key);
    const search = next.toString();
    go(`#/board${search ? `?${search}` : ''}`);
  };

  const created = (task) => {
    saved.current.set(task.id, task);
    setTasks((current) => [task, ...(current || [])]);
    setAdding(false);
    setAnnouncement(`Added “${task.title}” to ${STATUS_LABELS[task.status]}.`);
  };

  const entities = useMemo(() => distinct(tasks || [], 'entity'), [tasks]);
  const owners = useMemo(() => distinct(tasks || [], 'owner'), [tasks]);

  if (!session) {
    return html`<section class="card"><h1>Board</h1><p><a href="#/signin">Sign in</a> to see the board.</p></section>`;
  }
  if (!isAdmin) {
    return html`<section class="card"><h1>Board</h1><p>The board is for the admins.</p></section>`;
  }

  const shown = (tasks || []).filter((t) => (!entity || t.entity === entity) && (!owner || t.owner === owner));
  const filtered = Boolean(entity || owner);
  const openTask = openId && (tasks || []).find((t) => t.id === openId);

  return html`
    <section class="board-page">
      <div class="board-head">
        <h1>Board</h1>
        ${adding ? null : html`<button type="button" class="primary" onClick=${() => setAdding(true)}>New task</button>`}
      </div>
      <${TaskSuggestions} />
      ${adding ? html`<${NewTaskForm} defaults=${{ entity, owner }} onCreated=${created} onCancel=${() => setAdding(false)} />` : null}
      <div class="board-filters">
        <${Filter} label="Filter by entity" name="entity" value=${entity} options=${entities} onChange=${setFilter} />
        <${Filter} label="Filter by owner" name="owner" value=${owner} options=${owners} onChange=${setFilter} />
      </div>
      <p class="hint" id="board-help">Move a card by dragging it to another column, or focus it and press the left or right arrow key. On a phone, open the card and choose its column.</p>
      <p class="visually-hidden" role="status" aria-live="polite">${announcement}</p>
      <${ErrorNotice} error=${loadError || error} />
      ${tasks === null && !loadError ? html`<p class="loading">Loading the board…</p>` : null}
      ${tasks === null ? null : html`
        <div class="board">
          ${STATUSES.map((status) => {
            const all = tasks.filter((t) => t.status === status);
            const cards = shown.filter((t) => t.status === status).sort(byRecent);
            return html`
              <section key=${status} class=${`board-column${dropTarget === status ? ' is-drop-target' : ''}`}
                data-status=${status} aria-labelledby=${`board-column-${status}`}
                onDragOver=${dragOver(status)} onDragEnter=${dragOver(status)} onDrop=${drop(status)}>
                <h2 id=${`board-column-${status}`}>
                  ${STATUS_LABELS[status]}
                  <span class="board-count">${filtered ? `${cards.length} of ${all.length}` : cards.length}<span class="visually-hidden"> tasks</span></span>
                </h2>
                ${cards.length
                  ? html`<ul class="board-cards">
                      ${cards.map((task) => html`<${TaskCard} key=${task.id} task=${task} today=${today}
                        busy=${saving.has(task.id)} onOpen=${(t) => setOpenId(t.id)} onKeyMove=${keyMove}
                        onDragStart=${setDragging} onDragEnd=${dragEnd} />`)}
                    </ul>`
                  : html`<p class="board-empty">No tasks${filtered ? ' match the filters' : ''}.</p>`}
                ${status === 'completed' && completedLimit
                  ? html`<p class="board-limit" id="board-completed-limit">Showing the ${completedLimit} most recent.</p>`
                  : null}
              </section>`;
          })}
        </div>`}
      ${openTask ? html`<${TaskDetail} key=${openTask.id} task=${openTask} today=${today}
        onClose=${() => setOpenId(null)}
        onSaved=${(task) => { saved.current.set(task.id, task); replace(task); }} />` : null}
    </section>`;
}
