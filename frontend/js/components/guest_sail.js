// What a guest's pages share: the sail's times and where to meet, and where their own page is.
import { html } from '../html.js';
import { formatDate, formatSigned, formatTime } from './base.js';

export const guestPageOf = (sailId, guestId) => `#/my-sail?sail=${encodeURIComponent(sailId)}&guest=${encodeURIComponent(guestId)}`;

// The sail's date and times, and where to meet (the waiver page and the guest's page).
export function GuestSailTimes({ sail }) {
  const cancelled = sail.status === 'cancelled';
  return html`
    <dl class=${`waiver-times${cancelled ? ' timing-cancelled' : ''}`}>
      <div><dt>Date</dt><dd>${formatDate(sail.date)}${cancelled ? ' (cancelled)' : ''}</dd></div>
      <div><dt>${cancelled ? 'Was to depart' : 'Departs'}</dt><dd>${formatTime(sail.departure)}</dd></div>
      <div><dt>${cancelled ? 'Was to be back' : 'Back at the dock'}</dt><dd>${formatTime(sail.return)}</dd></div>
      ${sail.meeting_point ? html`<div class="waiver-meeting"><dt>Where to meet</dt><dd>${sail.meeting_point}</dd></div>` : null}
    </dl>`;
}

// The minors of the guest's booking covered by a guardian's signature (the waiver and the
// guest's own page both say it).
export function CoveredMinors({ booking }) {
  const covered = (booking || []).filter((p) => p.minor && p.status === 'confirmed').map((p) => p.name);
  if (!covered.length) return null;
  return html`<p class="hint waiver-covered">${`Covered by a guardian's signature: ${covered.join(', ')}.`}</p>`;
}

// Whether the guest's place is confirmed by their signature, or on hold until they sign
// (`waiver`: how the page names the waiver: "the waiver", or "this waiver" beside its text).
export function SignatureStatus({ guest, signature, waiver = 'the waiver' }) {
  if (guest.status !== 'confirmed') {
    return html`<p class="notice waiver-hold">Your place is <strong>on hold</strong> until you sign ${waiver}.</p>`;
  }
  return html`<p class="notice waiver-signed">${[
    `Signed ${formatSigned(guest.signed_at)}`,
    signature ? ` by ${signature.full_name} (waiver ${signature.version})` : '',
    '. Your place is confirmed. ',
    signature && signature.copy_emailed ? 'A copy was sent to your email.' : 'A copy will be sent to your email.',
  ].join('')}</p>`;
}
