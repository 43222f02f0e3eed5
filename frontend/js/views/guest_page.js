// The guest's own page for their sail (#/my-sail?sail=..&guest=..): their status, the times and
// where to meet, their signed copy and the sail as a calendar file. A guest lands here when they
// open their link again, or after signing.
import { html, useEffect, useState } from '../html.js';
import { get } from '../api.js';
import { CoveredMinors, ErrorNotice, GuestSailTimes, GuestStatus, Notice, SignatureStatus } from '../components.js';

export function GuestPage({ query, session }) {
  const sailId = query.sail || (session && session.sail_id);
  const guestId = query.guest || (session && session.guest_id);
  const [record, setRecord] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    if (!session || !sailId || !guestId) return;
    get(`/sails/${encodeURIComponent(sailId)}/guests/${encodeURIComponent(guestId)}`).then(setRecord).catch(setError);
  }, [session, sailId, guestId]);

  if (!session) {
    return html`
      <section class="card narrow">
        <h1>Your sail</h1>
        <p>Open the link from your email to see your page. If it was already used or has expired,
          opening it offers to send you a fresh one.</p>
      </section>`;
  }
  if (!sailId || !guestId) {
    return html`<section class="card narrow"><h1>Your sail</h1>
      <p>This address is missing the sail or the guest. Open the link from your email again.</p></section>`;
  }
  if (error) return html`<section class="card narrow"><h1>Your sail</h1><${ErrorNotice} error=${error} /></section>`;
  if (!record) return html`<p class="loading">Loading your sail…</p>`;

  const { sail, guest, signature } = record;
  const signed = guest.status === 'confirmed';
  const base = `/api/sails/${encodeURIComponent(sailId)}/guests/${encodeURIComponent(guestId)}`;
  const notice = query.signed === '1' ? 'Thank you: your waiver is signed and your place is confirmed.' : null;
  return html`
    <section class="card guest-page">
      <h1>Your sail</h1>
      <p class="waiver-who"><strong>${guest.name}</strong><span>${`on ${sail.title}`}</span><${GuestStatus} status=${guest.status} /></p>
      ${notice ? html`<${Notice}>${notice}<//>` : null}
      ${sail.status === 'cancelled' ? html`<p class="notice notice-error" role="alert">This sail was cancelled.</p>` : null}
      <${GuestSailTimes} sail=${sail} />
      <${SignatureStatus} guest=${guest} signature=${signature} />
      <${CoveredMinors} booking=${record.booking} />
      <div class="actions guest-actions">
        ${signed
          ? html`<a class="button" href=${`${base}/waiver.txt`} target="_blank" rel="noopener">Your signed copy</a>`
          : html`<a class="button primary" href=${`#/waiver?sail=${encodeURIComponent(sailId)}&guest=${encodeURIComponent(guestId)}`}>Read and sign the waiver</a>`}
        ${sail.status === 'cancelled' ? null : html`<a class="button" href=${`${base}/sail.ics`} download>Add to your calendar (.ics)</a>`}
      </div>
    </section>`;
}
