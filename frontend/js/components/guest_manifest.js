// The guests on a sail, on the sail page: status and signed time for everyone; for admins,
// contact details, "Resend waiver link", and the form to add a guest.
// Rendered as <GuestManifest sail=${sail} session=${session} onChange=${reload} />.
import { html, useState } from '../html.js';
import { post } from '../api.js';
import {
  ErrorNotice, Field, GuestStatus, Notice, formatSigned, useForm,
} from './base.js';

const EMPTY = { name: '', email: '', party_size: '1', phone: '' };

function AddGuestForm({ sail, room, onAdded }) {
  const form = useForm({
    initial: EMPTY,
    submit: (values) => {
      const size = values.party_size.trim();
      return post(`/sails/${encodeURIComponent(sail.id)}/guests`, {
        name: values.name,
        email: values.email,
        party_size: /^\d+$/.test(size) ? Number(size) : size,
        phone: values.phone || null,
      });
    },
    done: (answer) => { form.reset(EMPTY); onAdded(answer.message); },
  });
  const { error, busy } = form;

  const input = (name, type, extra = {}) => ({ id, invalid, describedBy }) => html`
    <input id=${id} type=${type} value=${form.values[name]} aria-invalid=${invalid ? 'true' : 'false'}
      aria-describedby=${describedBy} onInput=${form.set(name)} ...${extra} />`;

  return html`
    <form class="guest-form" onSubmit=${form.onSubmit} noValidate>
      <h3>Add a guest</h3>
      <${Field} label="Guest name" name="name" error=${error}>${input('name', 'text', { autocomplete: 'off' })}<//>
      <${Field} label="Guest email" name="email" error=${error}
        hint="They get a link to sign the waiver.">${input('email', 'email', { autocomplete: 'off' })}<//>
      <div class="guest-form-row">
        <${Field} label="Party size" name="party_size" error=${error}
          hint=${`Room for ${room} more.`}>${input('party_size', 'number', { min: 1, max: Math.max(room, 1), inputmode: 'numeric' })}<//>
        <${Field} label="Phone (optional)" name="phone" error=${error}>${input('phone', 'tel', { autocomplete: 'off' })}<//>
      </div>
      <${ErrorNotice} error=${form.notice} />
      <button type="submit" class="primary" disabled=${busy || room < 1}>
        ${busy ? 'Adding…' : room < 1 ? 'The sail is full' : 'Add guest and email the waiver'}
      </button>
    </form>`;
}

function GuestRow({ sail, guest, admin, onResent, onError }) {
  const [busy, setBusy] = useState(false);
  const resend = async () => {
    setBusy(true);
    try {
      const answer = await post(
        `/sails/${encodeURIComponent(sail.id)}/guests/${encodeURIComponent(guest.id)}/resend`,
      );
      onResent(answer.message);
    } catch (failure) {
      onError(failure);
    } finally {
      setBusy(false);
    }
  };
  const confirmed = guest.status === 'confirmed';
  return html`
    <li class="guest" data-guest=${guest.id}>
      <div class="guest-head">
        <span class="guest-name">${guest.name}</span>
        <${GuestStatus} status=${guest.status} />
      </div>
      <p class="guest-detail">
        Party of ${guest.party_size || 1} ·${' '}
        ${confirmed ? `Waiver signed ${formatSigned(guest.signed_at)}` : 'Waiver not signed yet'}
      </p>
      ${admin && guest.email ? html`<p class="guest-detail guest-contact">${guest.email}${guest.phone ? ` · ${guest.phone}` : ''}</p>` : null}
      ${admin && !confirmed && sail.status !== 'cancelled' ? html`
        <button type="button" class="guest-resend" disabled=${busy} onClick=${resend}
          aria-label=${`Resend waiver link to ${guest.name}`}>${busy ? 'Sending…' : 'Resend waiver link'}</button>` : null}
    </li>`;
}

export function GuestManifest({ sail, session, onChange }) {
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  if (!sail) return null;
  const admin = Boolean(session && session.role === 'admin');
  const guests = sail.guests || [];
  const capacity = sail.guest_capacity ?? 6;
  const count = sail.guest_count ?? guests.reduce((sum, g) => sum + (g.party_size || 1), 0);
  const signed = guests.filter((g) => g.status === 'confirmed').length;
  const room = Math.max(capacity - count, 0);
  const changed = (text) => {
    setError(null);
    setMessage(text);
    if (onChange) onChange();
  };

  return html`
    <section class="card guest-manifest" aria-labelledby="guests-heading">
      <h2 id="guests-heading">Guests <span class="guest-count">${`${count} of ${capacity} seats taken · ${room} left`}</span></h2>
      ${session && session.role !== 'guest' ? html`
        <p class="guest-summary">${signed} of ${guests.length} ${guests.length === 1 ? 'party has' : 'parties have'} signed.
          ${' '}<a href=${`#/sails/${encodeURIComponent(sail.id)}/manifest`}>Printable manifest</a></p>` : null}
      ${message ? html`<${Notice}>${message}<//>` : null}
      <${ErrorNotice} error=${error} />
      ${guests.length
        ? html`<ul class="guest-list">
            ${guests.map((guest) => html`<${GuestRow} key=${guest.id} sail=${sail} guest=${guest} admin=${admin}
              onResent=${changed} onError=${setError} />`)}
          </ul>`
        : html`<p class="hint">No guests yet.</p>`}
      ${admin && sail.status !== 'cancelled' ? html`<${AddGuestForm} sail=${sail} room=${room} onAdded=${changed} />` : null}
    </section>`;
}
