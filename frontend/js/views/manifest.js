// The printable guest manifest for check-in at the dock (#/sails/:id/manifest):
// name, party size, waiver signed yes/no, and a box to tick on the dock.
import { html, useEffect, useState } from '../html.js';
import { get } from '../api.js';
import { ErrorNotice, formatDate, formatTime } from '../components.js';

// The CSV is for admins and the sail's captain (the server decides; this only hides the link).
const isCaptain = (sail, session) => Boolean(sail && (sail.roles || []).some(
  (r) => r.slot === 'captain' && r.holder && r.holder.toLowerCase() === session.email.toLowerCase(),
));

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
  const people = guests.reduce((sum, g) => sum + (g.party_size || 1), 0);
  const signed = guests.filter((g) => g.status === 'confirmed');
  const onHold = guests.length - signed.length;
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
        ${`${people} ${people === 1 ? 'person' : 'people'} in ${guests.length} ${guests.length === 1 ? 'party' : 'parties'}`}
        ${` (${data.guest_count ?? people} of ${data.guest_capacity} seats taken) · ${signed.length} signed`}
        ${onHold ? html`${' · '}<strong>${`${onHold} on hold: no boarding until signed`}</strong>` : null}
      </p>
      <table class="manifest-table">
        <caption class="visually-hidden">Guests of ${sail.title}</caption>
        <thead>
          <tr><th scope="col">Name</th><th scope="col">Party</th><th scope="col">Waiver signed</th><th scope="col">Aboard</th></tr>
        </thead>
        <tbody>
          ${guests.length ? guests.map((g) => html`
            <tr key=${g.id} class=${g.status === 'confirmed' ? 'manifest-signed' : 'manifest-hold'}>
              <td>${g.name}</td>
              <td>${g.party_size || 1}</td>
              <td>${g.status === 'confirmed' ? 'Yes' : html`<strong>No (on hold)</strong>`}</td>
              <td><span class="manifest-box" aria-hidden="true"></span></td>
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
