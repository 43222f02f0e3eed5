// "My settings": my name, which nudges I get (the unsubscribe link in a nudge writes the same
// setting), my private calendar link, and signing out everywhere.
import { html, useEffect, useState } from '../html.js';
import { get, patch, post } from '../api.js';
import {
  ErrorNotice, Field, Notice, useForm,
} from '../components.js';
import { go } from '../router.js';

export const NUDGE_LABELS = {
  unfilled_roles: 'Open crew slots on an upcoming sail (admins)',
  waiver_pending: 'Waivers not yet signed before a sail',
  checklist_open: 'Checklist items still open before departure',
  day_of: 'The morning of a sail I am on',
};

function NameForm({ settings, onSaved }) {
  const [said, setSaid] = useState(null);
  const form = useForm({
    initial: { name: settings.name || '' },
    submit: (values) => patch('/me', { name: values.name }),
    done: (saved) => { setSaid('Your name is saved.'); onSaved(saved); },
  });
  return html`
    <section class="card" aria-labelledby="name-heading">
      <h2 id="name-heading">Name</h2>
      <form onSubmit=${(event) => { setSaid(null); return form.onSubmit(event); }} noValidate>
        <${Field} label="Your name" name="name" error=${form.error} hint="How admins and crew see you. Up to 80 characters.">
          ${({ id, invalid, describedBy }) => html`
            <input id=${id} name="name" type="text" maxlength="80" autocomplete="name" value=${form.values.name}
              aria-invalid=${invalid ? 'true' : 'false'} aria-describedby=${describedBy} onInput=${form.set('name')} />`}
        <//>
        <${ErrorNotice} error=${form.notice} />
        ${said ? html`<${Notice}>${said}<//>` : null}
        <div class="actions"><button type="submit" class="primary" disabled=${form.busy}>${form.busy ? 'Saving…' : 'Save my name'}</button></div>
      </form>
    </section>`;
}

function NudgesForm({ settings, onSaved }) {
  const [said, setSaid] = useState(null);
  const form = useForm({
    initial: { ...settings.nudges },
    submit: (values) => patch('/me', { nudges: values }),
    done: (saved) => {
      const on = Object.values(saved.nudges).filter(Boolean).length;
      setSaid(on ? `Saved: you get ${on} of ${Object.keys(saved.nudges).length} kinds of reminder.` : 'Saved: you get no reminders.');
      form.setValues({ ...saved.nudges });
      onSaved(saved);
    },
  });
  return html`
    <section class="card" aria-labelledby="nudges-heading">
      <h2 id="nudges-heading">Reminder emails</h2>
      <form onSubmit=${(event) => { setSaid(null); return form.onSubmit(event); }}>
        <fieldset class="field nudge-kinds">
          <legend>Send me a reminder about</legend>
          ${Object.keys(settings.nudges).map((kind) => html`
            <label key=${kind} class="checkbox">
              <input type="checkbox" name=${kind} checked=${Boolean(form.values[kind])} onChange=${form.set(kind)} />
              ${' '}${NUDGE_LABELS[kind] || kind}
            </label>`)}
        </fieldset>
        <p class="hint">The “unsubscribe” link in a reminder turns them all off; you can turn each back on here.</p>
        <${ErrorNotice} error=${form.error} />
        ${said ? html`<${Notice}>${said}<//>` : null}
        <div class="actions"><button type="submit" class="primary" disabled=${form.busy}>${form.busy ? 'Saving…' : 'Save reminders'}</button></div>
      </form>
    </section>`;
}

function CalendarLinkReset({ active }) {
  const [state, setState] = useState({ active });
  const form = useForm({ done: setState });
  return html`
    <section class="card" aria-labelledby="calendar-heading">
      <h2 id="calendar-heading">Calendar link</h2>
      <p>${state.active
        ? 'You have a private calendar link. Make a new one if it leaked: the old one stops working.'
        : 'You have no calendar link. Make one to see your sails in your calendar app.'}</p>
      ${state.url ? html`
        <label for="settings-feed-url">Your new calendar link</label>
        <input id="settings-feed-url" type="text" readonly value=${state.url} onFocus=${(e) => e.target.select()} />` : null}
      <${ErrorNotice} error=${form.error} />
      <div class="actions">
        <button type="button" disabled=${form.busy} onClick=${() => form.run(() => post('/calendar/token'))}>
          ${state.active ? 'Reset my calendar link' : 'Make my calendar link'}</button>
      </div>
    </section>`;
}

function SignOutEverywhere({ refreshSession }) {
  const [asking, setAsking] = useState(false);
  const form = useForm({
    done: async () => { await refreshSession(); go('#/signin'); },
  });
  return html`
    <section class="card" aria-labelledby="everywhere-heading">
      <h2 id="everywhere-heading">Sign out everywhere</h2>
      <p>Ends every session of yours: on this device and on any other phone or computer.</p>
      <${ErrorNotice} error=${form.error} />
      ${asking ? html`
        <div class="actions" role="group" aria-label="Confirm signing out everywhere">
          <button type="button" class="danger" disabled=${form.busy}
            onClick=${() => form.run(() => post('/me/sign-out-everywhere'))}>${form.busy ? 'Signing out…' : 'Yes, sign me out everywhere'}</button>
          <button type="button" disabled=${form.busy} onClick=${() => setAsking(false)}>Cancel</button>
        </div>` : html`
        <div class="actions"><button type="button" class="danger" onClick=${() => setAsking(true)}>Sign out everywhere</button></div>`}
    </section>`;
}

export function Settings({ session, refreshSession }) {
  const [settings, setSettings] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { if (session) get('/me/settings').then(setSettings).catch(setError); }, [session && session.email]);
  if (!session) {
    return html`<section class="card"><h1>My settings</h1><p><a href="#/signin">Sign in</a> to change your settings.</p></section>`;
  }
  return html`
    <section class="settings">
      <h1>My settings</h1>
      <p class="hint">Signed in as ${session.email}.</p>
      <${ErrorNotice} error=${error} />
      ${settings === null && !error ? html`<p class="loading">Loading your settings…</p>` : null}
      ${settings ? html`
        <${NameForm} settings=${settings} onSaved=${setSettings} />
        <${NudgesForm} settings=${settings} onSaved=${setSettings} />
        <${CalendarLinkReset} active=${settings.calendar_active} />` : null}
      <${SignOutEverywhere} refreshSession=${refreshSession} />
    </section>`;
}
