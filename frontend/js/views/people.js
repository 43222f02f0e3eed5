// The admin's "People" page: everyone who can sign in, with role, status, last sign-in, their
// upcoming slots and whether mail bounced or nudges are off; add (a welcome email with a
// sign-in link), change a role or a name, remove (with a confirmation).
import { html, useEffect, useState } from '../html.js';
import { api, get, patch, post } from '../api.js';
import {
  ErrorNotice, Field, Notice, formatDate, formatTime, useForm,
} from '../components.js';

const STATUS_TEXT = { active: 'Active', invited: 'Not signed in yet', removed: 'Removed' };
const STATUS_BADGE = { active: 'badge-ok', invited: 'badge-warn', removed: 'badge-danger' };
const path = (email) => `/people/${encodeURIComponent(email)}`;
const dayOf = (iso) => (iso ? iso.slice(0, 10) : '');

function control(name, render) {
  return ({ id, invalid, describedBy }) => render({
    id, name, 'aria-invalid': invalid ? 'true' : 'false', 'aria-describedby': describedBy,
  });
}

function AddPerson({ onAdded }) {
  const [said, setSaid] = useState(null);
  const form = useForm({
    initial: { email: '', name: '', role: 'crew' },
    submit: (values) => post('/people', {
      email: values.email, role: values.role, ...(values.name.trim() ? { name: values.name } : {}),
    }),
    done: (added) => {
      setSaid(added.welcome_sent
        ? `${added.email} is on the roster as ${added.role}. A welcome email with a sign-in link is on its way.`
        : `${added.email} is on the roster as ${added.role}, but the welcome email could not be sent. They can ask for a sign-in link on the sign-in page.`);
      form.reset({ email: '', name: '', role: 'crew' });
      onAdded();
    },
  });
  const { values, error, busy, set } = form;
  return html`
    <section class="card people-add" aria-labelledby="add-heading">
      <h2 id="add-heading">Add someone</h2>
      <form onSubmit=${(event) => { setSaid(null); return form.onSubmit(event); }} noValidate>
        <${Field} label="Email" name="email" error=${error}>
          ${control('email', (attrs) => html`
            <input ...${attrs} type="email" required autocomplete="off" maxlength="254"
              value=${values.email} onInput=${set('email')} />`)}
        <//>
        <${Field} label="Name (optional)" name="name" error=${error}>
          ${control('name', (attrs) => html`
            <input ...${attrs} type="text" maxlength="80" autocomplete="off"
              value=${values.name} onInput=${set('name')} />`)}
        <//>
        <fieldset class="field people-role">
          <legend>Role</legend>
          <label><input type="radio" name="add-role" value="crew" checked=${values.role === 'crew'}
            onChange=${() => form.setValue('role', 'crew')} /> Crew</label>
          <label><input type="radio" name="add-role" value="admin" checked=${values.role === 'admin'}
            onChange=${() => form.setValue('role', 'admin')} /> Admin</label>
        </fieldset>
        <${ErrorNotice} error=${form.notice || (error && error.field === 'role' ? error : null)} />
        ${said ? html`<${Notice}>${said}<//>` : null}
        <div class="actions">
          <button type="submit" class="primary" disabled=${busy}>${busy ? 'Adding…' : 'Add and send the welcome email'}</button>
        </div>
      </form>
    </section>`;
}

function EditPerson({ person, onDone, onCancel }) {
  const slug = person.email.replace(/[^a-z0-9]/gi, '-');
  const form = useForm({
    initial: { name: person.name || '', role: person.role },
    fieldId: (name) => `edit-${slug}-${name}`,
    submit: (values) => patch(path(person.email), {
      name: values.name, ...(values.role !== person.role ? { role: values.role } : {}),
    }),
    done: onDone,
  });
  const { values, error, busy, set } = form;
  return html`
    <form class="people-edit" onSubmit=${form.onSubmit} noValidate aria-label=${`Edit ${person.email}`}>
      <div class="field">
        <label for=${`edit-${slug}-name`}>Name</label>
        <input id=${`edit-${slug}-name`} type="text" maxlength="80" value=${values.name} onInput=${set('name')}
          aria-invalid=${error && error.field === 'name' ? 'true' : 'false'} />
      </div>
      <div class="field">
        <label for=${`edit-${slug}-role`}>Role</label>
        <select id=${`edit-${slug}-role`} value=${values.role} onChange=${set('role')} disabled=${person.configured_admin}>
          <option value="crew">Crew</option>
          <option value="admin">Admin</option>
        </select>
        ${person.configured_admin ? html`<p class="hint">An admin by the deployment's configuration.</p>` : null}
      </div>
      <${ErrorNotice} error=${error} />
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy}>${busy ? 'Saving…' : 'Save'}</button>
        <button type="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
      </div>
    </form>`;
}

function RemovePerson({ person, onDone, onCancel }) {
  const form = useForm({ done: onDone });
  const slots = person.upcoming.length;
  return html`
    <div class="people-remove notice notice-warn" role="alertdialog" aria-labelledby=${`remove-${person.email}`}>
      <p id=${`remove-${person.email}`}><strong>Remove ${person.name || person.email}?</strong>
        ${' '}Their sessions end at their next request and they can no longer sign in.
        ${slots ? ` Their ${slots === 1 ? 'slot' : `${slots} slots`} on upcoming sails will be open again.` : ''}
        ${' '}Their name stays in the sails' history.</p>
      <${ErrorNotice} error=${form.error} />
      <div class="actions">
        <button type="button" class="danger" disabled=${form.busy}
          onClick=${() => form.run(() => api('DELETE', path(person.email)))}>${form.busy ? 'Removing…' : 'Yes, remove'}</button>
        <button type="button" onClick=${onCancel} disabled=${form.busy} autofocus>Keep them</button>
      </div>
    </div>`;
}

function PersonCard({ person, reload }) {
  const [mode, setMode] = useState(null); // null | 'edit' | 'remove'
  const [said, setSaid] = useState(null);
  const removed = person.status === 'removed';
  const finish = (message) => () => { setMode(null); setSaid(message); reload(); };
  return html`
    <li class=${`card person-card${removed ? ' person-removed' : ''}`} data-email=${person.email}>
      <div class="person-head">
        <h3 class="person-name">${person.name || person.email}</h3>
        <span class=${`badge ${person.role === 'admin' ? 'badge-you' : ''}`}>${person.role === 'admin' ? 'Admin' : 'Crew'}</span>
        <span class=${`badge ${STATUS_BADGE[person.status] || ''}`}>${STATUS_TEXT[person.status] || person.status}</span>
      </div>
      ${person.name ? html`<p class="person-email">${person.email}</p>` : null}
      <p class="hint">
        ${person.last_sign_in ? `Last signed in ${formatDate(dayOf(person.last_sign_in))}, ${formatTime(person.last_sign_in)}` : person.status === 'invited' ? 'Has not signed in yet' : 'No sign-in recorded'}
        ${person.invited_sail ? html` · added by an invite to <a href=${`#/sails/${encodeURIComponent(person.invited_sail)}`}>a sail</a>` : null}
      </p>
      ${person.bounced ? html`<p><span class="badge badge-danger">Mail bounced</span>${person.mail_stopped ? ` ${person.mail_stopped}: no mail goes to this address.` : null}</p>` : null}
      ${person.nudges_off && person.nudges_off.length ? html`<p><span class="badge badge-warn">${person.nudges_off.length === 4 ? 'Nudges off' : 'Some nudges off'}</span></p>` : null}
      ${person.upcoming.length ? html`
        <div class="person-upcoming">
          <p>Upcoming slots:</p>
          <ul>${person.upcoming.map((claim) => html`
            <li key=${`${claim.sail_id}-${claim.slot}`}>
              <a href=${`#/sails/${encodeURIComponent(claim.sail_id)}`}>${formatDate(dayOf(claim.departure))} · ${claim.title || 'Sail'}</a>
              ${' '}(${claim.slot.replace('-', ' ')})
            </li>`)}</ul>
        </div>` : null}
      ${said ? html`<${Notice}>${said}<//>` : null}
      ${mode === 'edit' ? html`<${EditPerson} person=${person} onDone=${finish('Saved.')} onCancel=${() => setMode(null)} />` : null}
      ${mode === 'remove' ? html`<${RemovePerson} person=${person} onDone=${finish(null)} onCancel=${() => setMode(null)} />` : null}
      ${!removed && mode === null ? html`
        <div class="actions">
          <button type="button" onClick=${() => { setSaid(null); setMode('edit'); }}
            aria-label=${`Edit ${person.email}`}>Edit</button>
          ${person.configured_admin ? null : html`
            <button type="button" class="danger" onClick=${() => { setSaid(null); setMode('remove'); }}
              aria-label=${`Remove ${person.email}`}>Remove</button>`}
        </div>` : null}
    </li>`;
}

export function People({ session }) {
  const [people, setPeople] = useState(null);
  const [error, setError] = useState(null);
  const load = () => get('/people').then((answer) => { setPeople(answer.people); setError(null); }).catch(setError);
  useEffect(() => { if (session && session.role === 'admin') load(); }, [session && session.role]);

  if (!session || session.role !== 'admin') {
    return html`<section class="card"><h1>People</h1><p>Only an admin can see the people.</p></section>`;
  }
  const active = (people || []).filter((p) => p.status !== 'removed');
  const removed = (people || []).filter((p) => p.status === 'removed');
  return html`
    <section class="people">
      <h1>People</h1>
      <${AddPerson} onAdded=${load} />
      <${ErrorNotice} error=${error} />
      ${people === null && !error ? html`<p class="loading">Loading the people…</p>` : null}
      ${people ? html`
        <h2>On the roster (${active.length})</h2>
        <ul class="people-list">${active.map((person) => html`<${PersonCard} key=${person.email} person=${person} reload=${load} />`)}</ul>` : null}
      ${removed.length ? html`
        <h2>Removed (${removed.length})</h2>
        <p class="hint">Add one of them again above to give them access back.</p>
        <ul class="people-list">${removed.map((person) => html`<${PersonCard} key=${person.email} person=${person} reload=${load} />`)}</ul>` : null}
    </section>`;
}
