// The printable guest manifest for check-in at the dock (#/sails/:id/manifest): every person
// aboard by booking, their waiver status (signed, covered by a guardian, on hold; an older
// waiver version flagged; removed or moved people listed as such), and a box to tick on the dock.
import { html, useEffect, useState } from '../html.js';
import { get } from '../api.js';
import { ErrorNotice, formatDate, formatTime } from '../components.js';

// The CSV is for admins and the sail's captain (the server decides; this only hides the link).
const isCaptain = (sail, session) => Boolean(sail && (sail.roles || []).some(
  (r) => r.slot === 'captain' && r.holder && r.holder.toLowerCase() === session.email.toLowerCase(),
));

const GONE = ['removed', 'moved'];

const rowClass = (g) => {
  if (GONE.includes(g.status)) return 'manifest-gone';
  return g.status === 'confirmed' ? 'manifest-signed' : 'manifest-hold';
};

function waiverCell(g) {
  if (g.status === 'removed') return `Removed by ${g.removed_by || 'an admin'}`;
  if (g.status === 'moved') return 'Moved to another sail';
  if (g.status !== 'confirmed') return html`<strong>${g.minor ? 'No (waits for a guardian)' : 'No (on hold)'}</strong>`;
  const how = g.minor ? `Covered by ${g.covered_by_name || 'a guardian'}` : 'Signed';
  return g.older_version ? html`${how} · <strong>${`older version ${g.signed_version}`}</strong>` : how;
}

export function Manifest({ params, session }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [captain, setCaptain] = useState(false);

  useEffect(() => {
    if (!session || session.role === 'guest') return;
    get(`/sails/${encodeURIComponent(params.id)}/guests`).then(setData).catch(setError);
    if (session.role === 'crew') {
      get(`/sails/${encodeURIComponent(params.id)}`).then((sail) => setCaptain(isCaptain(sail, session))).catch(() => {});
    }
  }, [params.id, session]);

  if (!session || session.role === 'guest') {
    return html`<section class="card"><h1>Guest manifest</h1><p>Only the crew can see the manifest. <a href="#/signin">Sign in</a>.</p></section>`;
  }
  if (error) return html`<section class="card"><h1>Guest manifest</h1><${ErrorNotice} error=${error} /></section>`;
  if (!data) return html`<p class="loading">Loading the manifest…</p>`;

  const { sail, guests } = data;
  const bookings = data.bookings || [];
  const leads = Object.fromEntries(bookings.map((b) => [b.id, b]));
  const aboard = guests.filter((g) => !GONE.includes(g.status));
  const covered = aboard.filter((g) => g.status === 'confirmed');
  const onHold = aboard.length - covered.length;
  const live = bookings.filter((b) => b.status !== 'removed');
  const older = aboard.filter((g) => g.older_version).length;
  return html`
    <section class="card manifest-page">
      <p class="no-print"><a href=${`#/sails/${encodeURIComponent(sail.id)}`}>← Back to the sail</a></p>
      <h1>Guest manifest</h1>
      ${data.offline_copy ? html`<p class="notice notice-warn no-print" role="status">
        No connection. This is the copy saved on this phone${data.offline_copy.saved_at ? ` at ${formatTime(data.offline_copy.saved_at)}` : ''}: names and waiver status, no contact details.</p>` : null}
      <p class="manifest-sail">
        <strong>${sail.title}</strong>
        ${` · ${formatDate(sail.date)} · departs ${formatTime(sail.departure)} · back ${formatTime(sail.return)}`}
        ${sail.status === 'cancelled' ? html`${' · '}<strong>CANCELLED</strong>` : null}
      </p>
      ${sail.meeting_point ? html`<p class="manifest-meeting">Meeting point: <strong>${sail.meeting_point}</strong></p>` : null}
      <p class="manifest-totals">
        ${`${aboard.length} ${aboard.length === 1 ? 'person' : 'people'} in ${live.length} ${live.length === 1 ? 'booking' : 'bookings'}`}
        ${` (${data.guest_count ?? aboard.length} of ${data.guest_capacity} seats taken) · ${covered.length} covered · ${live.filter((b) => b.status === 'confirmed').length} of ${live.length} bookings confirmed`}
        ${onHold ? html`${' · '}<strong>${`${onHold} on hold: no boarding until covered`}</strong>` : null}
        ${older ? ` · ${older} signed an older waiver (current: ${data.waiver_version})` : ''}
      </p>
      <table class="manifest-table">
        <caption class="visually-hidden">Guests of ${sail.title}</caption>
        <thead>
          <tr><th scope="col">Name</th><th scope="col">Booking</th><th scope="col">Waiver</th><th scope="col">Aboard</th></tr>
        </thead>
        <tbody>
          ${guests.length ? guests.map((g) => html`
            <tr key=${g.id} data-guest=${g.id} class=${rowClass(g)}>
              <td>${g.name}${g.minor ? ' (under 18)' : ''}</td>
              <td>${(leads[g.booking_id] || {}).lead || g.name}${g.lead ? ' (lead)' : ''}</td>
              <td>${waiverCell(g)}</td>
              <td>${GONE.includes(g.status) ? '—' : html`<span class="manifest-box" aria-hidden="true"></span>`}</td>
            </tr>`) : html`<tr><td colspan="4">No guests on this sail.</td></tr>`}
        </tbody>
      </table>
      <div class="actions no-print">
        <button type="button" class="primary" onClick=${() => window.print()}>Print</button>
        ${session.role === 'admin' || captain ? html`
          <a class="button" href=${`/api/sails/${encodeURIComponent(sail.id)}/manifest.csv`} download>Download CSV</a>` : null}
      </div>
    </section>`;
}
