// One card of the board, and what the board's views share about tasks.
import { html } from '../html.js';
import { formatDate } from './base.js';

export const STATUSES = ['pending', 'in_review', 'completed'];
export const STATUS_LABELS = { pending: 'Pending', in_review: 'In review', completed: 'Completed' };
export const OWNER_ROLES = ['CEO', 'CTO', 'CFO', 'CMO', 'Accounting'];
export const ENTITIES = [
  'JADA', 'Queen of San Diego', 'QuickDumpNow', 'Dangerous Centaur', '3028 51st St', 'Expert Yacht Delivery',
];

// Open work past its due date; `today` is the server's San Diego date (YYYY-MM-DD).
export const isOverdue = (task, today) => Boolean(task.due && today && task.status !== 'completed' && task.due < today);

// "CFO report · 2026-W48 · break-even", or null for a task someone added by hand.
export function sourceLabel(source) {
  if (!source || !source.kind) return null;
  return [`${source.kind.toUpperCase()} report`, source.period, source.section].filter(Boolean).join(' · ');
}

// Only links into this app are followed (the server refuses others too).
export const safeLink = (link) => (typeof link === 'string' && link.startsWith('#/') ? link : null);

export function SourceText({ source }) {
  const label = sourceLabel(source);
  if (!label) return html`<span class="task-source">Added by hand</span>`;
  const link = safeLink(source.link);
  return link
    ? html`<a class="task-source" href=${link}>${label}</a>`
    : html`<span class="task-source">${label}</span>`;
}

export function DueText({ task, today }) {
  if (!task.due) return null;
  return isOverdue(task, today)
    ? html`<span class="task-due task-overdue"><strong>Overdue</strong> · due ${formatDate(task.due)}</span>`
    : html`<span class="task-due">Due ${formatDate(task.due)}</span>`;
}

// A card: drag it (HTML5 drag and drop), or focus it and press ← / → to move it between columns.
export function TaskCard({ task, today, busy, onOpen, onKeyMove, onDragStart, onDragEnd }) {
  const overdue = isOverdue(task, today);
  const onKeyDown = (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.target.closest('a')) return; // arrows on the source link keep their meaning
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault();
      onKeyMove(task, event.key === 'ArrowRight' ? 1 : -1);
    }
  };
  const dragStart = (event) => {
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', task.id);
    onDragStart(task);
  };
  return html`
    <li class=${`task-card${overdue ? ' is-overdue' : ''}${busy ? ' is-saving' : ''}`}
      draggable="true" data-task-id=${task.id} aria-busy=${busy ? 'true' : 'false'}
      onDragStart=${dragStart} onDragEnd=${onDragEnd} onKeyDown=${onKeyDown}>
      <button type="button" class="task-open" aria-describedby="board-help" onClick=${() => onOpen(task)}>
        ${task.title}
      </button>
      <p class="task-meta">
        ${task.entity ? html`<span class="badge task-entity"><span class="visually-hidden">Entity: </span>${task.entity}</span>` : null}
        ${task.owner ? html`<span class="task-owner">Owner: ${task.owner}</span>` : null}
        <${DueText} task=${task} today=${today} />
      </p>
      <p class="task-meta"><${SourceText} source=${task.source} /></p>
    </li>`;
}
