// The sails: upcoming first, a month calendar showing which dates have sails, and the
// person's private calendar link.
import { html, useEffect, useState } from '../html.js';
import { api, get, post } from '../api.js';
import {
  ErrorNotice, formatDate, formatTime, sanDiegoToday, useForm,
} from '../components.js';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const monthName = new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const pad = (n) => String(n).padStart(2, '0');

export function monthGrid(yearMonth) {
  // Weeks (Monday first) of the month as arrays of 'YYYY-MM-DD' or null.
  const [year, month] = yearMonth.split('-').map(Number);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const lead = (new Date(Date.UTC(year, month - 1, 1)).getUTCDay() + 6) % 7;
  const cells = [...Array(lead).fill(null)];
  for (let d = 1; d <= days; d += 1) cells.push(`${year}-${pad(month)}-${pad(d)}`);
  while (cells.length % 7) cells.push(null);
  const weeks = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

const shiftMonth = (yearMonth, by) => {
  const [year, month] = yearMonth.split('-').map(Number);
  const moved = new Date(Date.UTC(year, month - 1 + by, 1));
  return `${moved.getUTCFullYear()}-${pad(moved.getUTCMonth() + 1)}`;
};

const lastDay = (yearMonth) => {
  const [year, month] = yearMonth.split('-').map(Number);
  return `${yearMonth}-${pad(new Date(Date.UTC(year, month, 0)).getUTCDate())}`;
};

export function seatsText(sail) {
  const taken = sail.seats_taken ?? sail.guest_count ?? 0;
  const left = sail.seats_left ?? Math.max(sail.guest_capacity - taken, 0);
  return `Guests: ${taken} of ${sail.guest_capacity} seats taken · ${left} left`;
}

function SailCard({ sail }) {
  const cancelled = sail.status === 'cancelled';
  return html`
    <li class=${`sail-card${cancelled ? ' sail-cancelled' : ''}`}>
      <a href=${`#/sails/${encodeURIComponent(sail.id)}`} class="sail-link">
        <span class="sail-card-date">${formatDate(sail.date)}</span>
        <span class="sail-card-title">${sail.title}</span>
        <span class="sail-card-times">
          ${cancelled
            ? html`<span class="badge badge-danger">Cancelled</span>`
            : html`Departure ${formatTime(sail.departure)} · sunset ${formatTime(sail.sunset)}`}
        </span>
        ${cancelled || sail.guest_capacity == null ? null : html`
          <span class="sail-card-seats">${seatsText(sail)}</span>`}
      </a>
    </li>`;
}

function MonthCalendar({ month, setMonth }) {
  const [sails, setSails] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stale = false;
    get(`/sails?from=${month}-01&to=${lastDay(month)}`)
      .then((answer) => { if (!stale) { setSails(answer.sails); setError(null); } })
      .catch((failure) => { if (!stale) setError(failure); });
    return () => { stale = true; };
  }, [month]);
  const byDate = {};
  for (const sail of sails) (byDate[sail.date] = byDate[sail.date] || []).push(sail);
  const today = sanDiegoToday();
  const [year, monthNumber] = month.split('-').map(Number);
  const title = monthName.format(new Date(Date.UTC(year, monthNumber - 1, 1)));
  return html`
    <section class="card month-calendar" aria-labelledby="calendar-heading">
      <div class="month-head">
        <button type="button" onClick=${() => setMonth(shiftMonth(month, -1))}>
          <span aria-hidden="true">‹</span><span class="visually-hidden">Previous month</span></button>
        <h2 id="calendar-heading" aria-live="polite">${title}</h2>
        <button type="button" onClick=${() => setMonth(shiftMonth(month, 1))}>
          <span aria-hidden="true">›</span><span class="visually-hidden">Next month</span></button>
      </div>
      <${ErrorNotice} error=${error} />
      <table class="month-grid">
        <thead><tr>${WEEKDAYS.map((day) => html`<th scope="col" abbr=${day}>${day.slice(0, 2)}</th>`)}</tr></thead>
        <tbody>
          ${monthGrid(month).map((week) => html`
            <tr>
              ${week.map((day) => {
                if (!day) return html`<td class="day-empty"></td>`;
                const on = byDate[day] || [];
                const classes = ['day', on.length ? 'day-has-sail' : '', day === today ? 'day-today' : '',
                  on.length && on.every((s) => s.status === 'cancelled') ? 'day-cancelled' : ''].join(' ');
                const number = Number(day.slice(8));
                if (!on.length) return html`<td class=${classes}><span class="day-number">${number}</span></td>`;
                const label = `${formatDate(day)}: ${on.map((s) => `${s.title}${s.status === 'cancelled' ? ' (cancelled)' : ''}`).join(', ')}`;
                return html`
                  <td class=${classes}>
                    <a href=${`#/sails/${encodeURIComponent(on[0].id)}`} aria-label=${label} title=${label}>
                      <span class="day-number">${number}</span><span class="day-dot" aria-hidden="true"></span>
                    </a>
                  </td>`;
              })}
            </tr>`)}
        </tbody>
      </table>
      <p class="hint">Dates with a dot already have a sail.</p>
    </section>`;
}

function CalendarLink() {
  const [state, setState] = useState(null); // null until the section is opened
  const form = useForm({ done: setState });
  const { error, busy } = form;
  const run = (action) => form.run(action);
  // Asked only when the person opens the section: the list itself stays one request.
  const toggled = (event) => { if (event.target.open && state === null) run(() => get('/calendar/token')); };
  const active = Boolean(state && state.active);
  return html`
    <details class="card calendar-link" onToggle=${toggled}>
      <summary><h2>Your sails in your calendar</h2></summary>
      <p>A private link your calendar app can subscribe to. Anyone with the link sees your sails: keep it to yourself.</p>
      ${state && state.url ? html`
        <label for="feed-url">Your calendar link</label>
        <input id="feed-url" type="text" readonly value=${state.url} onFocus=${(e) => e.target.select()} />` : null}
      ${active && !state.url ? html`<p>You have a calendar link. Make a new one to see it again (the old one stops working).</p>` : null}
      <${ErrorNotice} error=${error} />
      <div class="actions">
        <button type="button" disabled=${busy || state === null} onClick=${() => run(() => post('/calendar/token'))}>
          ${active ? 'Make a new calendar link' : 'Get my calendar link'}</button>
        ${active ? html`
          <button type="button" class="danger" disabled=${busy} onClick=${() => run(() => api('DELETE', '/calendar/token'))}>
            Turn the link off</button>` : null}
      </div>
    </details>`;
}

export function SailsList({ session }) {
  const [sails, setSails] = useState(null);
  const [error, setError] = useState(null);
  const [offline, setOffline] = useState(null);
  const [month, setMonth] = useState(() => sanDiegoToday().slice(0, 7));

  useEffect(() => {
    get('/sails').then((answer) => { setSails(answer.sails); setOffline(answer.offline_copy || null); }).catch(setError);
  }, []);

  if (!session) {
    return html`<section class="card"><h1>Sails</h1><p><a href="#/signin">Sign in</a> to see the sails.</p></section>`;
  }
  const isAdmin = session.role === 'admin';
  return html`
    <section class="sails-list">
      <div class="sails-head">
        <h1>Upcoming sails</h1>
        ${isAdmin ? html`<a class="button primary" href="#/new">Create a sail</a>` : null}
      </div>
      <${ErrorNotice} error=${error} />
      ${offline ? html`<p class="notice notice-warn" role="status">No connection: this is the last list you loaded.</p>` : null}
      ${sails === null && !error ? html`<p class="loading">Loading the sails…</p>` : null}
      ${sails && sails.length === 0 ? html`<p class="card">No sails coming up yet.${isAdmin ? ' Create one with “Create a sail”.' : ''}</p>` : null}
      ${sails && sails.length ? html`<ul class="sail-cards">${sails.map((sail) => html`<${SailCard} key=${sail.id} sail=${sail} />`)}</ul>` : null}
      ${sails !== null || error ? html`<${MonthCalendar} month=${month} setMonth=${setMonth} />` : null}
      <${CalendarLink} />
    </section>`;
}
