// A sail's history as sentences people read: "Anna claimed Crew 1", "The Departure checklist's
// item “Fuel” was ticked", never the raw keys the server records (`n`, `guest_id`, `text_sha256`).
import { html } from '../html.js';
import { formatDate, zonedFormat } from './base.js';
import { slotLabel } from './role_board.js';

const LIST_NAMES = { departure: 'departure', return: 'return' };
const FIELD_NAMES = { title: 'title', date: 'date', notes: 'notes', crew_slots: 'crew slots' };

const when = (iso) => zonedFormat({ weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' })
  .format(new Date(iso));
const quoted = (text) => `“${text}”`;

function itemName(sail, detail) {
  const list = sail && sail.checklists && sail.checklists[detail.list];
  const item = list && (list.items || []).find((i) => i.n === detail.n);
  if (detail.label) return quoted(detail.label);
  return item ? quoted(item.label) : `item ${detail.n}`;
}

function guestName(sail, detail) {
  const guest = ((sail && sail.guests) || []).find((g) => g.id === detail.guest_id);
  return guest ? guest.name : (detail.name || 'a guest');
}

function changeText(name, change) {
  const label = FIELD_NAMES[name] || name.replace(/_/g, ' ');
  const from = change.from === undefined || change.from === null || change.from === '' ? null : change.from;
  const to = change.to === undefined || change.to === null || change.to === '' ? null : change.to;
  const show = (value) => (name === 'date' ? formatDate(value) : name === 'crew_slots' ? String(value) : quoted(value));
  if (to === null) return `removed the ${label}`;
  if (from === null) return `set the ${label} to ${show(to)}`;
  return `changed the ${label} from ${show(from)} to ${show(to)}`;
}

const listing = (parts) => (parts.length <= 1 ? parts.join('')
  : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`);

// One entry as a sentence (its actor first).
export function historySentence(entry, sail) {
  const who = entry.actor || 'Someone';
  const d = entry.detail || {};
  const list = LIST_NAMES[d.list] || d.list;
  switch (entry.action) {
    case 'sail_created': return `${who} created the sail${d.crew_slots !== undefined ? ` with ${d.crew_slots} crew ${d.crew_slots === 1 ? 'slot' : 'slots'}` : ''}.`;
    case 'sail_edited':
    case 'sail_rescheduled': {
      const changes = Object.entries(d).filter(([, v]) => v && typeof v === 'object').map(([k, v]) => changeText(k, v));
      return `${who} ${changes.length ? listing(changes) : 'edited the sail'}.`;
    }
    case 'sail_cancelled': return `${who} cancelled the sail${d.reason ? `: ${quoted(d.reason)}` : ''}.`;
    case 'role_invited': return `${who} invited ${d.email} to sail as ${slotLabel(d.slot)}.`;
    case 'role_claimed': return `${who} claimed ${slotLabel(d.slot)}.`;
    case 'role_released': return d.holder && d.holder !== entry.actor
      ? `${who} released ${d.holder} from ${slotLabel(d.slot)}.`
      : `${who} released ${slotLabel(d.slot)}.`;
    case 'role_designated': return `${who} confirmed ${d.holder} as ${slotLabel(d.slot)}.`;
    case 'checklist_ticked': return `${who} ticked ${itemName(sail, d)} on the ${list} checklist.`;
    case 'checklist_unticked': return `${who} unticked ${itemName(sail, d)} on the ${list} checklist.`;
    case 'checklist_item_added': return `${who} added ${itemName(sail, d)} to the ${list} checklist.`;
    case 'checklist_item_renamed': return `${who} renamed item ${d.n} of the ${list} checklist to ${quoted(d.label)}.`;
    case 'checklist_item_removed': return `${who} removed item ${d.n} from the ${list} checklist.`;
    case 'guest_added': return `${who} added ${d.name || guestName(sail, d)}${d.party_size > 1 ? ` (party of ${d.party_size})` : ''} as a guest.`;
    case 'waiver_link_issued': return `${who} sent ${guestName(sail, d)} a link to sign the waiver.`;
    case 'waiver_signed': return `${guestName(sail, d)} signed the waiver${d.version ? ` (version ${d.version})` : ''}.`;
    default: return `${who}: ${String(entry.action || 'a change').replace(/[._]/g, ' ')}.`;
  }
}

export function SailHistory({ entries, sail }) {
  if (!entries) return null;
  const newestFirst = [...entries].reverse();
  return html`
    <section class="card" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      ${newestFirst.length ? html`
        <ol class="history-list">
          ${newestFirst.map((entry) => html`
            <li>
              <span class="history-when"><time datetime=${entry.at}>${when(entry.at)}</time></span>${' '}
              <span class="history-what">${historySentence(entry, sail)}</span>
            </li>`)}
        </ol>` : html`<p>Nothing has happened yet.</p>`}
    </section>`;
}
