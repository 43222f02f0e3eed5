// The guest's waiver page (#/waiver?sail=..&guest=..): the sail's date and times, the waiver
// text, and the signature form. The guest is on hold until they sign; then confirmed.
import { html, useEffect, useState } from '../html.js';
import { get, post } from '../api.js';
import {
  CoveredMinors, ErrorNotice, Field, GuestSailTimes, GuestStatus, Notice, SignatureStatus, guestPageOf, useForm,
} from '../components.js';

function CheckField({ name, label, checked, onChange, error }) {
  const id = `field-${name}`;
  const fieldError = error && error.field === name ? error.message : null;
  return html`
    <div class=${`field check-field${fieldError ? ' field-invalid' : ''}`}>
      <input id=${id} type="checkbox" checked=${checked} aria-invalid=${fieldError ? 'true' : 'false'}
        aria-describedby=${fieldError ? `${id}-error` : undefined}
        onChange=${(event) => onChange(event.target.checked)} />
      <label for=${id}>${label}</label>
      ${fieldError ? html`<p class="field-error" id=${`${id}-error`} role="alert">${fieldError}</p>` : null}
    </div>`;
}

function SignatureForm({ sailId, guestId, minors = [], onSigned }) {
  const [covers, setCovers] = useState([]);
  const form = useForm({
    initial: { full_name: '', accept: false, minor: false, guardian_name: '' },
    submit: (values) => {
      const body = { full_name: values.full_name, accept: values.accept, minor: values.minor };
      if (values.minor) body.guardian_name = values.guardian_name;
      if (covers.length) body.covers = covers;
      return post(`/sails/${encodeURIComponent(sailId)}/guests/${encodeURIComponent(guestId)}/waiver`, body);
    },
    done: onSigned,
  });
  const { values, error, busy } = form;

  return html`
    <form class="waiver-form" onSubmit=${form.onSubmit} noValidate>
      <h2>Sign</h2>
      <${CheckField} name="minor" label="I am signing for someone under 18" checked=${values.minor} error=${error}
        onChange=${(minor) => form.setValue('minor', minor)} />
      <${Field} label=${values.minor ? 'Full name of the person under 18 who is sailing' : 'Your full name'} name="full_name" error=${error}
        hint=${values.minor ? 'Their name as it should appear on the waiver.' : 'Typing your name is your signature.'}>
        ${({ id, invalid, describedBy }) => html`
          <input id=${id} type="text" autocomplete=${values.minor ? 'off' : 'name'} required value=${values.full_name}
            aria-invalid=${invalid ? 'true' : 'false'} aria-describedby=${describedBy}
            onInput=${form.set('full_name')} />`}
      <//>
      ${values.minor ? html`
        <${Field} label="Your full name (parent or guardian)" name="guardian_name" error=${error}
          hint="Typing your name is your signature, for them.">
          ${({ id, invalid, describedBy }) => html`
            <input id=${id} type="text" autocomplete="name" value=${values.guardian_name}
              aria-invalid=${invalid ? 'true' : 'false'} aria-describedby=${describedBy}
              onInput=${form.set('guardian_name')} />`}
        <//>` : null}
      ${minors.length && !values.minor ? html`
        <fieldset class="waiver-covers">
          <legend>Children in your booking</legend>
          <p class="hint">A child under 18 is covered by a parent or guardian's signature. Tick each child you are
            the parent or guardian of: your signature covers them too.</p>
          ${minors.map((m) => html`
            <div class="field check-field" key=${m.id}>
              <input id=${`cover-${m.id}`} type="checkbox" checked=${covers.includes(m.id)}
                onChange=${(e) => setCovers(e.currentTarget.checked ? [...covers, m.id] : covers.filter((c) => c !== m.id))} />
              <label for=${`cover-${m.id}`}>${`I am ${m.name}'s parent or guardian and sign for them`}</label>
            </div>`)}
          ${error && error.field === 'covers' ? html`<p class="field-error" role="alert">${error.message}</p>` : null}
        </fieldset>` : null}
      <${CheckField} name="accept" label=${values.minor ? 'I have read the waiver and accept it for them' : 'I have read and accept the waiver'}
        checked=${values.accept} error=${error} onChange=${(accept) => form.setValue('accept', accept)} />
      <${ErrorNotice} error=${form.notice} />
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Signing…' : 'Sign the waiver'}</button>
    </form>`;
}

export function Waiver({ query, session }) {
  const sailId = query.sail;
  const guestId = query.guest || (session && session.guest_id);
  const [record, setRecord] = useState(null);
  const [waiver, setWaiver] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);

  const load = async () => {
    try {
      const [mine, text] = await Promise.all([
        get(`/sails/${encodeURIComponent(sailId)}/guests/${encodeURIComponent(guestId)}`),
        get('/waiver'),
      ]);
      setRecord(mine);
      setWaiver(text);
    } catch (failure) {
      setError(failure);
    }
  };

  useEffect(() => {
    if (session && sailId && guestId) load();
  }, [session, sailId, guestId]);

  if (!session) {
    return html`
      <section class="card narrow">
        <h1>Liability waiver</h1>
        <p>Open the waiver link from your email to sign. If the link was already used or has expired,
          ask the crew to send you a new one.</p>
      </section>`;
  }
  if (!sailId || !guestId) {
    return html`<section class="card narrow"><h1>Liability waiver</h1>
      <p>This address is missing the sail or the guest. Open the link from your email again.</p></section>`;
  }
  if (error) {
    return html`<section class="card narrow"><h1>Liability waiver</h1><${ErrorNotice} error=${error} /></section>`;
  }
  if (!record || !waiver) return html`<p class="loading">Loading your waiver…</p>`;

  const { sail, guest, signature } = record;
  const signed = guest.status === 'confirmed';
  const onSigned = (answer) => {
    setDone(answer);
    if (session.role === 'guest') {
      // Their own page, with the answer's words (the copy's delivery included).
      window.location.replace(`${guestPageOf(sailId, guestId)}&signed=1`);
      return;
    }
    load();
    window.scrollTo({ top: 0 });
  };
  if (signed && !done && session.role === 'guest' && query.read !== '1') {
    // A signed guest coming back to the waiver (an old bookmark) lands on their own page.
    window.location.replace(guestPageOf(sailId, guestId));
    return html`<p class="loading">Opening your page…</p>`;
  }
  return html`
    <section class="card waiver-page">
      <h1>Liability waiver</h1>
      <p class="waiver-who"><strong>${guest.name}</strong><span>${`on ${sail.title}`}</span><${GuestStatus} status=${guest.status} /></p>
      ${sail.status === 'cancelled' ? html`<p class="notice notice-error" role="alert">This sail was cancelled.</p>` : null}
      <${GuestSailTimes} sail=${sail} />
      ${done ? html`<${Notice}>${done.message}<//>` : null}
      <${SignatureStatus} guest=${guest} signature=${signature} waiver="this waiver" />
      <${CoveredMinors} booking=${record.booking} />
      <h2>Waiver ${waiver.version}</h2>
      <div class="waiver-text" role="region" aria-label="Waiver text" tabindex="0">${waiver.text}</div>
      <p class="hint waiver-hash">SHA-256 of this text: <code>${waiver.sha256}</code></p>
      ${signed ? null : session.role === 'guest'
        ? html`<${SignatureForm} sailId=${sailId} guestId=${guestId} onSigned=${onSigned}
            minors=${(record.booking || []).filter((p) => p.minor && p.status === 'on_hold')} />`
        : html`<p class="notice">Only the guest can sign their waiver, from the link in their email.</p>`}
    </section>`;
}
