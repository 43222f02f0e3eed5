// The role board on the sail page: each slot with its state and holder, and the buttons the
// person may use — claim an open slot, release their own; admins invite, confirm, assign and
// release anyone. Arriving from an invite (`?claim=<slot>`) brings that slot into view.
import { html, useState, useEffect, useRef } from '../html.js';
import { post } from '../api.js';
import { ErrorNotice, Notice, Field } from './base.js';

const STATE_TEXT = { open: 'Open', claimed: 'Claimed', designated: 'Confirmed' };
const STATE_BADGE = { open: 'badge-warn', claimed: '', designated: 'badge-ok' };

// `captain` → `Captain`, `crew-2` → `Crew 2`.
export function slotLabel(slot) {
  const text = String(slot || '').replace('-', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Roles change only on sails still to come and not cancelled (the API says the same).
export function rolesCanChange(sail, now = new Date()) {
  if (!sail || sail.status === 'cancelled') return false;
  return !sail.departure || new Date(sail.departure) > now;
}

const domId = (prefix, slot) => `${prefix}-${String(slot).replace(/[^a-z0-9-]/gi, '')}`;

// The admin's invite form for an open slot, folded behind an "Invite…" button so a phone shows
// one short row per slot. Opening it puts the focus on the email field; a successful invite or
// assignment (or Cancel / Escape) folds it again and gives the focus back to the button.
function InviteForm({ slot, busy, error, onInvite, onAssign }) {
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState('');
  const toggle = useRef(null);
  const input = useRef(null);
  const name = domId('email', slot);
  const formId = domId('invite', slot);
  // The API names the field `email`; this form's input is the one for this slot.
  const fieldError = error && error.field === 'email' ? { message: error.message, field: name } : null;

  // Whether the form is open right now (state lags a render behind): a focus hand-back that
  // comes after the form was opened again must not take the focus from its email field.
  const isOpen = useRef(false);
  useEffect(() => { if (open && input.current) input.current.focus(); }, [open]);

  const openForm = () => {
    isOpen.current = true;
    setOpen(true);
  };
  const close = () => {
    isOpen.current = false;
    setOpen(false);
    // The button is still there while the slot is open (an assignment removes it with the form).
    setTimeout(() => { if (!isOpen.current && toggle.current) toggle.current.focus(); }, 0);
  };
  const send = async (action) => {
    const done = await action(email.trim());
    if (done) {
      setEmail('');
      close();
    }
  };
  const submit = (event) => {
    event.preventDefault();
    send(onInvite);
  };
  const keyDown = (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      close();
    }
  };
  const label = slotLabel(slot);
  return html`
    <div class="role-invite-toggle">
      <button type="button" ref=${toggle} id=${domId('invite-toggle', slot)} aria-expanded=${open ? 'true' : 'false'}
        aria-controls=${formId} onClick=${() => (open ? close() : openForm())}
        >Invite…<span class="visually-hidden"> for ${label}</span></button>
    </div>
    <form class="role-invite" id=${formId} hidden=${!open} onSubmit=${submit} onKeyDown=${keyDown} noValidate>
      <${Field} label=${`Email for ${label}`} name=${name} error=${fieldError}>
        ${({ id, invalid, describedBy }) => html`
          <input id=${id} ref=${input} type="email" autocomplete="off" inputmode="email" value=${email}
            aria-invalid=${invalid ? 'true' : undefined} aria-describedby=${describedBy}
            onInput=${(event) => setEmail(event.currentTarget.value)} />`}
      </${Field}>
      <div class="role-actions">
        <button type="submit" class="primary" disabled=${busy}>Send invite</button>
        <button type="button" disabled=${busy} onClick=${() => send(onAssign)}>Assign directly</button>
        <button type="button" disabled=${busy} onClick=${close}>Cancel</button>
      </div>
    </form>`;
}

// Releasing a slot asks first (one tap must not lose it): the question replaces the button, with
// the focus on its answer; "Keep it" gives the focus back to the Release button.
function ReleaseButton({ label, holder, mine, busy, onRelease }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef(null);
  const again = useRef(null);
  useEffect(() => { if (asking && yes.current) yes.current.focus(); }, [asking]);
  const keep = () => {
    setAsking(false);
    setTimeout(() => { if (again.current) again.current.focus(); }, 0);
  };
  const what = mine ? `Release ${label}` : `Release ${label} from ${holder}`;
  if (!asking) {
    return html`<button type="button" class="danger" ref=${again} disabled=${busy} onClick=${() => setAsking(true)}>${what}</button>`;
  }
  return html`
    <div class="role-confirm" role="group" aria-label=${`${what}?`}
      onKeyDown=${(event) => { if (event.key === 'Escape') { event.preventDefault(); keep(); } }}>
      <p>${mine ? `Give up ${label}? Someone else can claim it.` : `Take ${label} from ${holder}? They are told by email.`}</p>
      <button type="button" class="danger" ref=${yes} disabled=${busy} onClick=${() => { setAsking(false); onRelease(); }}
        >Yes, release ${label}</button>
      <button type="button" disabled=${busy} onClick=${keep}>Keep it</button>
    </div>`;
}

function RoleSlot({ role, sail, session, highlighted, busy, error, act, holdsAnother }) {
  const isAdmin = session && session.role === 'admin';
  const isCrew = session && (session.role === 'crew' || isAdmin);
  const mine = Boolean(session && role.holder && role.holder === session.email);
  const changeable = rolesCanChange(sail);
  const label = slotLabel(role.slot);
  const cancelled = Boolean(sail && sail.status === 'cancelled');
  const state = role.state || 'open';
  const invited = Object.entries(role.invited || {});
  const classes = ['role-slot', `role-${state}`, highlighted ? 'role-slot-invited' : '', mine ? 'role-slot-mine' : '']
    .filter(Boolean).join(' ');
  const slotBusy = busy === role.slot;
  const slotError = error && error.slot === role.slot ? error.failure : null;

  let actions = null;
  if (changeable && isCrew) {
    const buttons = [];
    if (state === 'open' && !holdsAnother) {
      buttons.push(html`<button type="button" class="primary" id=${domId('claim', role.slot)} disabled=${slotBusy}
        onClick=${() => act(role.slot, 'claim', {}, `You claimed ${label}.`)}>Claim ${label}</button>`);
    }
    if (state === 'claimed' && isAdmin) {
      buttons.push(html`<button type="button" class="primary" disabled=${slotBusy}
        onClick=${() => act(role.slot, 'designate', { email: role.holder }, `${role.holder} is confirmed as ${label}.`)}
        >Confirm ${role.holder}</button>`);
    }
    if (state !== 'open' && (mine || isAdmin)) {
      buttons.push(html`<${ReleaseButton} label=${label} holder=${role.holder} mine=${mine} busy=${slotBusy}
        onRelease=${() => act(role.slot, 'release', {}, mine ? `You released ${label}.` : `${label} is open again.`)} />`);
    }
    if (buttons.length) actions = html`<div class="role-actions">${buttons}</div>`;
  }

  return html`
    <li class=${classes} id=${domId('role', role.slot)} aria-current=${highlighted ? 'true' : undefined}>
      <div class="role-head">
        <h3 class="role-name">${label}</h3>
        ${mine ? html`<span class="badge badge-you">You</span>` : null}
        ${cancelled
          ? html`<span class="badge badge-danger">Cancelled</span>`
          : html`<span class=${`badge ${STATE_BADGE[state] || ''}`}>${STATE_TEXT[state] || state}</span>`}
      </div>
      <p class="role-holder">
        ${role.holder
          ? html`${mine ? html`<strong>You</strong> (${role.holder})` : role.holder}${cancelled ? ' (was to sail)' : ''}`
          : cancelled ? 'Nobody' : state === 'open' ? 'Nobody yet' : 'Taken'}
      </p>
      ${isAdmin && invited.length ? html`
        <p class="role-invited hint">Invited: ${invited.map(([email]) => email).join(', ')}</p>` : null}
      ${slotError && !(slotError.field === 'email' && state === 'open' && isAdmin) ? html`<${ErrorNotice} error=${slotError} />` : null}
      ${actions}
      ${changeable && isAdmin && state === 'open' ? html`
        <${InviteForm} slot=${role.slot} busy=${slotBusy} error=${slotError}
          onInvite=${(email) => act(role.slot, 'invite', { email }, `Invite for ${label} sent to ${email}.`)}
          onAssign=${(email) => act(role.slot, 'designate', { email }, `${email} is confirmed as ${label}.`)} />` : null}
    </li>`;
}

export function RoleBoard({ sail, session, query = {}, onChange }) {
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const roles = (sail && sail.roles) || [];
  const invitedSlot = query && query.claim ? String(query.claim) : null;
  const target = invitedSlot ? roles.find((role) => role.slot === invitedSlot) : null;
  const me = session && session.email;
  const held = roles.find((role) => me && role.holder === me);
  const cancelled = Boolean(sail && sail.status === 'cancelled');
  const open = roles.filter((role) => (role.state || 'open') === 'open').length;
  let summary = null;
  if (roles.length && !cancelled) {
    summary = open === 0 ? `All ${roles.length} slots are filled.`
      : `${open} of ${roles.length} ${roles.length === 1 ? 'slot' : 'slots'} open.`;
  }

  // Arriving from an invite: bring the slot into view and put the focus on its Claim button.
  useEffect(() => {
    if (!target) return;
    const row = document.getElementById(domId('role', target.slot));
    if (row && row.scrollIntoView) row.scrollIntoView({ block: 'center' });
    const claim = document.getElementById(domId('claim', target.slot));
    if (claim) claim.focus();
  }, [invitedSlot, sail && sail.id, Boolean(target)]);

  const act = async (slot, action, body, message) => {
    setBusy(slot);
    setError(null);
    setDone(null);
    try {
      await post(`/sails/${encodeURIComponent(sail.id)}/roles/${encodeURIComponent(slot)}/${action}`, body);
      if (onChange) await onChange();
      // Said once the board shows the new state (and the invite form has folded).
      setDone(message);
      return true;
    } catch (failure) {
      setError({ slot, failure });
      // The slot may have changed under us (409): show its current state.
      if (failure.status === 409 && onChange) onChange();
      return false;
    } finally {
      setBusy(null);
    }
  };

  let invite = null;
  if (invitedSlot && !target) {
    invite = html`<${ErrorNotice} error=${{ message: `This sail has no slot called ${invitedSlot}.` }} />`;
  } else if (target) {
    const label = slotLabel(target.slot);
    if (target.holder && target.holder === me) invite = html`<${Notice}>You hold ${label} on this sail.</${Notice}>`;
    else if (target.state !== 'open') invite = html`<${Notice}>${label} has been taken by someone else. Thank you for answering!</${Notice}>`;
    else if (!rolesCanChange(sail)) invite = html`<${Notice}>This sail's roles can no longer change.</${Notice}>`;
    else if (held) invite = html`<${Notice}>You were invited to ${label}, but you already hold ${slotLabel(held.slot)}. Release it first to switch.</${Notice}>`;
    else invite = html`<${Notice}>You are invited to sail as ${label}. Tap “Claim ${label}” to take it.</${Notice}>`;
  }

  return html`
    <section class="card role-board" aria-labelledby="role-board-title">
      <h2 id="role-board-title">Crew roles</h2>
      ${summary ? html`<p class="role-summary" data-testid="open-slots">${summary}${held ? ` You hold ${slotLabel(held.slot)}.` : ''}</p>` : null}
      ${invite}
      ${done ? html`<${Notice}>${done}</${Notice}>` : null}
      ${!rolesCanChange(sail) ? html`<p class="hint">${sail && sail.status === 'cancelled' ? 'This sail is cancelled.' : 'This sail has departed.'} Its roles can no longer change.</p>` : null}
      ${roles.length
        ? html`<ul class="role-list">
            ${roles.map((role) => html`<${RoleSlot} key=${role.slot} role=${role} sail=${sail} session=${session}
              highlighted=${target && target.slot === role.slot} busy=${busy} error=${error} act=${act}
              holdsAnother=${Boolean(held && held.slot !== role.slot)} />`)}
          </ul>`
        : html`<p>This sail has no crew slots.</p>`}
    </section>`;
}
