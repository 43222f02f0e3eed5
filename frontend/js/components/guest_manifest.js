// The guests on a sail, on the sail page, by booking: everyone aboard with their status (each
// adult signs their own waiver; a minor is covered by a guardian of the booking). For admins:
// contact details, "Resend waiver link", edit a person's name or email, remove a person or a
// booking (kept on the list as removed), move a booking to another sail, and the form to book
// a party. Rendered as <GuestManifest sail=${sail} session=${session} onChange=${reload} />.
import { html, useEffect, useState } from '../html.js';
import { api, get, patch, post } from '../api.js';
import {
  ErrorNotice, Field, Notice, formatDate, formatSigned, useForm,
} from './base.js';

const EMPTY = { name: '', email: '', phone: '' };
const GONE = ['removed', 'moved'];
const guestPath = (sail, guest) => `/sails/${encodeURIComponent(sail.id)}/guests/${encodeURIComponent(guest.id)}`;

export function PersonStatus({ person }) {
  if (person.status === 'removed') return html`<span class="badge">Removed</span>`;
  if (person.status === 'moved') return html`<span class="badge">Moved</span>`;
  if (person.status === 'confirmed') return html`<span class="badge badge-ok">${person.minor ? 'Covered' : 'Confirmed'}</span>`;
  return html`<span class="badge badge-warn">On hold</span>`;
}

function PartyRows({ people, setPeople, error }) {
  const change = (n, name, value) => setPeople(people.map((p, i) => (i === n ? { ...p, [name]: value } : p)));
  return html`
    <fieldset class="party">
      <legend>The rest of the party</legend>
      <p class="hint">Everyone aboard is named. Each adult with an email signs their own waiver; a child under 18
        is covered by one of the booking's adults when they sign.</p>
      ${people.map((person, n) => html`
        <div class="party-person" key=${n}>
          <${Field} label=${`Person ${n + 2}: name`} name=${`people[${n}].name`} error=${error}>
            ${({ id, invalid, describedBy }) => html`<input id=${id} type="text" autocomplete="off" value=${person.name}
              aria-invalid=${invalid ? 'true' : 'false'} aria-describedby=${describedBy}
              onInput=${(e) => change(n, 'name', e.currentTarget.value)} />`}
          <//>
          ${person.minor ? null : html`
            <${Field} label=${`Person ${n + 2}: email`} name=${`people[${n}].email`} error=${error}
              hint="Their own waiver link goes here.">
              ${({ id, invalid, describedBy }) => html`<input id=${id} type="email" autocomplete="off" value=${person.email}
                aria-invalid=${invalid ? 'true' : 'false'} aria-describedby=${describedBy}
                onInput=${(e) => change(n, 'email', e.currentTarget.value)} />`}
            <//>`}
          <div class="field check-field">
            <input id=${`field-people[${n}].minor`} type="checkbox" checked=${person.minor}
              onChange=${(e) => change(n, 'minor', e.currentTarget.checked)} />
            <label for=${`field-people[${n}].minor`}>${`Person ${n + 2} is under 18`}</label>
          </div>
          <button type="button" class="link-button" onClick=${() => setPeople(people.filter((_, i) => i !== n))}
            aria-label=${`Take person ${n + 2} off the booking`}>Take off</button>
        </div>`)}
      <button type="button" onClick=${() => setPeople([...people, { name: '', email: '', minor: false }])}>Add a person</button>
    </fieldset>`;
}

function AddGuestForm({ sail, room, onAdded }) {
  const [people, setPeople] = useState([]);
  const form = useForm({
    initial: EMPTY,
    submit: (values) => post(`/sails/${encodeURIComponent(sail.id)}/guests`, {
      name: values.name,
      email: values.email,
      phone: values.phone || null,
      people: people.map((p) => (p.minor ? { name: p.name, minor: true } : { name: p.name, email: p.email || null })),
    }),
    done: (answer) => { form.reset(EMPTY); setPeople([]); onAdded(answer.message); },
  });
  const { error, busy } = form;
  const size = 1 + people.length;

  const input = (name, type, extra = {}) => ({ id, invalid, describedBy }) => html`
    <input id=${id} type=${type} value=${form.values[name]} aria-invalid=${invalid ? 'true' : 'false'}
      aria-describedby=${describedBy} onInput=${form.set(name)} ...${extra} />`;

  return html`
    <form class="guest-form" onSubmit=${form.onSubmit} noValidate>
      <h3>Book a party</h3>
      <${Field} label="Lead guest's name" name="name" error=${error}>${input('name', 'text', { autocomplete: 'off' })}<//>
      <${Field} label="Lead guest's email" name="email" error=${error}
        hint="They get a link to sign the waiver.">${input('email', 'email', { autocomplete: 'off' })}<//>
      <${Field} label="Phone (optional)" name="phone" error=${error}>${input('phone', 'tel', { autocomplete: 'off' })}<//>
      <${PartyRows} people=${people} setPeople=${setPeople} error=${error} />
      <p class="hint">${`${size} ${size === 1 ? 'person' : 'people'}; room for ${room} more.`}</p>
      <${ErrorNotice} error=${form.notice} />
      <button type="submit" class="primary" disabled=${busy || room < 1}>
        ${busy ? 'Booking…' : room < 1 ? 'The sail is full' : `Book ${size === 1 ? 'the guest' : `the party of ${size}`} and email the waivers`}
      </button>
    </form>`;
}

function EditPerson({ sail, guest, onDone }) {
  const form = useForm({
    initial: { name: guest.name || '', email: guest.email || '' },
    submit: (values) => {
      const body = { name: values.name };
      if (values.email || guest.email) body.email = values.email;
      return patch(guestPath(sail, guest), body);
    },
    done: (answer) => onDone(answer.message),
    fieldId: (name) => `edit-${guest.id}-${name}`,
  });
  const field = (name, label, type) => html`
    <div class=${`field${form.error && form.error.field === name ? ' field-invalid' : ''}`}>
      <label for=${`edit-${guest.id}-${name}`}>${label}</label>
      <input id=${`edit-${guest.id}-${name}`} type=${type} value=${form.values[name]} onInput=${form.set(name)}
        aria-invalid=${form.error && form.error.field === name ? 'true' : 'false'} />
    </div>`;
  return html`
    <form class="guest-edit" onSubmit=${form.onSubmit} noValidate>
      ${field('name', `Name of ${guest.name}`, 'text')}
      ${guest.minor && !guest.email ? null : field('email', `Email of ${guest.name}`, 'email')}
      <${ErrorNotice} error=${form.error} />
      <button type="submit" disabled=${form.busy}>${form.busy ? 'Saving…' : 'Save'}</button>
    </form>`;
}

function MoveBooking({ sail, guest, onDone }) {
  const [sails, setSails] = useState(null);
  useEffect(() => {
    get('/sails').then((answer) => setSails((answer.sails || answer || []).filter(
      (s) => s.id !== sail.id && s.status !== 'cancelled',
    ))).catch(() => setSails([]));
  }, [sail.id]);
  const form = useForm({
    initial: { sail_id: '' },
    submit: (values) => patch(guestPath(sail, guest), { sail_id: values.sail_id }),
    done: (answer) => onDone(answer.message),
    fieldId: () => `move-${guest.id}`,
  });
  if (!sails) return html`<p class="loading">Loading the sails…</p>`;
  return html`
    <form class="guest-edit" onSubmit=${form.onSubmit} noValidate>
      <div class="field">
        <label for=${`move-${guest.id}`}>Move this booking to</label>
        <select id=${`move-${guest.id}`} value=${form.values.sail_id} onChange=${form.set('sail_id')}>
          <option value="">Choose a sail</option>
          ${sails.map((s) => html`<option value=${s.id}>${`${formatDate(s.date)} · ${s.title}`}</option>`)}
        </select>
      </div>
      <${ErrorNotice} error=${form.error} />
      <button type="submit" disabled=${form.busy || !form.values.sail_id}>${form.busy ? 'Moving…' : 'Move the booking'}</button>
    </form>`;
}

function GuestRow({ sail, guest, admin, onChanged, onError }) {
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(null); // 'edit' | 'move'
  const act = async (what) => {
    setBusy(true);
    try {
      onChanged(await what());
    } catch (failure) {
      onError(failure);
    } finally {
      setBusy(false);
    }
  };
  const resend = () => act(async () => (await post(`${guestPath(sail, guest)}/resend`)).message);
  const remove = (booking) => {
    const whom = booking ? `${guest.name}'s whole booking` : guest.name;
    if (!window.confirm(`Remove ${whom} from this sail? They stay on the list as removed; signed waivers are kept.`)) return;
    act(async () => {
      await api('DELETE', `${guestPath(sail, guest)}${booking ? '?booking=true' : ''}`);
      return `${whom} removed.`;
    });
  };
  const gone = GONE.includes(guest.status);
  const confirmed = guest.status === 'confirmed';
  const open_ = sail.status !== 'cancelled' && !gone;
  let detail;
  if (guest.status === 'removed') detail = `Removed by ${guest.removed_by || 'an admin'} ${formatSigned(guest.removed_at)}`;
  else if (guest.status === 'moved') detail = `Moved to another sail by ${guest.moved_by || 'an admin'}`;
  else if (guest.minor) detail = confirmed ? `Under 18 · covered by ${guest.covered_by_name || 'a guardian'}` : 'Under 18 · waits for a guardian of the booking to sign';
  else detail = confirmed ? `Waiver signed ${formatSigned(guest.signed_at)}` : 'Waiver not signed yet';
  return html`
    <li class=${`guest${gone ? ' guest-gone' : ''}`} data-guest=${guest.id}>
      <div class="guest-head">
        <span class="guest-name">${guest.name}${guest.lead === true ? html` <span class="hint">(lead)</span>` : null}</span>
        <${PersonStatus} person=${guest} />
      </div>
      <p class="guest-detail">${detail}${guest.older_version ? ` · signed an older waiver (${guest.signed_version})` : ''}</p>
      ${admin && guest.email ? html`<p class="guest-detail guest-contact">${guest.email}${guest.phone ? ` · ${guest.phone}` : ''}</p>` : null}
      ${admin && open_ ? html`
        <div class="guest-actions">
          ${!confirmed && !guest.minor && guest.email ? html`<button type="button" disabled=${busy} onClick=${resend}
            aria-label=${`Resend waiver link to ${guest.name}`}>${busy ? 'Sending…' : 'Resend waiver link'}</button>` : null}
          <button type="button" aria-expanded=${open === 'edit' ? 'true' : 'false'} onClick=${() => setOpen(open === 'edit' ? null : 'edit')}
            aria-label=${`Edit ${guest.name}`}>Edit</button>
          <button type="button" disabled=${busy} onClick=${() => remove(false)} aria-label=${`Remove ${guest.name}`}>Remove</button>
          ${guest.lead !== false ? html`
            <button type="button" disabled=${busy} onClick=${() => remove(true)} aria-label=${`Remove ${guest.name}'s booking`}>Remove booking</button>
            <button type="button" aria-expanded=${open === 'move' ? 'true' : 'false'} onClick=${() => setOpen(open === 'move' ? null : 'move')}
              aria-label=${`Move ${guest.name}'s booking`}>Move booking</button>` : null}
        </div>
        ${open === 'edit' ? html`<${EditPerson} sail=${sail} guest=${guest} onDone=${(m) => { setOpen(null); onChanged(m); }} />` : null}
        ${open === 'move' ? html`<${MoveBooking} sail=${sail} guest=${guest} onDone=${(m) => { setOpen(null); onChanged(m); }} />` : null}` : null}
    </li>`;
}

export function GuestManifest({ sail, session, onChange }) {
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const [listed, setListed] = useState(null); // the manifest (crew and admins): everyone, by booking
  const crew = Boolean(session && session.role !== 'guest');
  const load = () => {
    if (!sail || !crew) return;
    // Without a connection the sail page shows its saved copy, guests included: keep to that.
    get(`/sails/${encodeURIComponent(sail.id)}/guests`).then(setListed).catch(() => setListed(null));
  };
  useEffect(load, [sail && sail.id, sail && sail.guest_count, crew]);
  if (!sail) return null;
  const admin = Boolean(session && session.role === 'admin');
  const guests = (listed && listed.guests) || sail.guests || [];
  const bookings = (listed && listed.bookings) || [];
  const capacity = (listed && listed.guest_capacity) ?? sail.guest_capacity ?? 6;
  const count = (listed && listed.guest_count) ?? sail.guest_count ?? 0;
  const aboard = guests.filter((g) => !GONE.includes(g.status));
  const live = bookings.filter((b) => b.status !== 'removed');
  const confirmed = live.filter((b) => b.status === 'confirmed').length;
  const room = Math.max(capacity - count, 0);
  const changed = (text) => {
    setError(null);
    setMessage(text);
    load();
    if (onChange) onChange();
  };

  return html`
    <section class="card guest-manifest" aria-labelledby="guests-heading">
      <h2 id="guests-heading">Guests <span class="guest-count">${`${count} of ${capacity} seats taken · ${room} left`}</span></h2>
      ${crew ? html`
        <p class="guest-summary">${`${confirmed} of ${live.length} ${live.length === 1 ? 'booking is' : 'bookings are'} confirmed · ${aboard.length} ${aboard.length === 1 ? 'person' : 'people'} aboard.`}
          ${' '}<a href=${`#/sails/${encodeURIComponent(sail.id)}/manifest`}>Printable manifest</a></p>` : null}
      ${message ? html`<${Notice}>${message}<//>` : null}
      <${ErrorNotice} error=${error} />
      ${guests.length
        ? html`<ul class="guest-list">
            ${guests.map((guest) => html`<${GuestRow} key=${guest.id} sail=${sail} guest=${guest} admin=${admin}
              onChanged=${changed} onError=${setError} />`)}
          </ul>`
        : html`<p class="hint">No guests yet.</p>`}
      ${admin && sail.status !== 'cancelled' ? html`<${AddGuestForm} sail=${sail} room=${room} onAdded=${changed} />` : null}
    </section>`;
}
