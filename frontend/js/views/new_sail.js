// The admin's "new sail" form, with a live preview of the times as the date changes. A sail
// departs with the sunset or at a fixed time; "Repeat weekly" creates a series in one step.
import { html } from '../html.js';
import { post } from '../api.js';
import {
  ErrorNotice, Field, TimingFields, TimingPreview, sanDiegoToday, timingBody, useForm,
} from '../components.js';
import { go } from '../router.js';

export function NewSail({ session }) {
  // The server checks every field and names the one it refuses; that error shows next to it.
  const form = useForm({
    initial: {
      date: '',
      title: '',
      crew_slots: '2',
      notes: '',
      guest_capacity: '',
      meeting_point: '',
      timing: 'sunset',
      start: '',
      duration_minutes: '120',
      repeat_weeks: '1',
    },
    submit: (values) => {
      const weeks = values.repeat_weeks.trim();
      const body = {
        date: values.date,
        title: values.title,
        crew_slots: /^\d+$/.test(values.crew_slots.trim()) ? Number(values.crew_slots) : values.crew_slots,
        notes: values.notes,
        repeat_weeks: /^\d+$/.test(weeks) ? Number(weeks) : weeks,
        ...timingBody(values),
        // Left empty: the club's defaults (the server's settings).
        ...(values.guest_capacity.trim() ? {
          guest_capacity: /^\d+$/.test(values.guest_capacity.trim()) ? Number(values.guest_capacity) : values.guest_capacity,
        } : {}),
        ...(values.meeting_point.trim() ? { meeting_point: values.meeting_point } : {}),
      };
      if (body.start === null) delete body.start;
      return post('/sails', body);
    },
    done: (created) => go(`#/sails/${encodeURIComponent(created.id)}`),
  });

  if (!session || session.role !== 'admin') {
    return html`<section class="card"><h1>New sail</h1><p>Only an admin can create sails.</p></section>`;
  }
  const { values, error, busy, set } = form;

  const control = (name, render) => ({ id, invalid, describedBy }) => render({
    id, name, 'aria-invalid': invalid ? 'true' : 'false', 'aria-describedby': describedBy,
  });

  return html`
    <section class="card new-sail">
      <h1>New sail</h1>
      <form onSubmit=${form.onSubmit} noValidate>
        <${Field} label="Date" name="date" error=${error} hint="The first sail's date, in San Diego.">
          ${control('date', (attrs) => html`
            <input ...${attrs} type="date" required min=${sanDiegoToday()} value=${values.date}
              onInput=${set('date')} onChange=${set('date')} />`)}
        <//>
        <${TimingFields} values=${values} set=${set} error=${error} idPrefix="new" />
        <${TimingPreview} date=${values.date} start=${values.timing === 'fixed' ? values.start : ''}
          duration=${values.duration_minutes} />
        <${Field} label="Repeat weekly: how many sails" name="repeat_weeks" error=${error}
          hint="1 is just this sail; 8 is this one and the next seven, a week apart (up to 26).">
          ${control('repeat_weeks', (attrs) => html`
            <input ...${attrs} type="number" inputmode="numeric" min="1" max="26" step="1"
              value=${values.repeat_weeks} onInput=${set('repeat_weeks')} />`)}
        <//>
        <${Field} label="Title" name="title" error=${error} hint="Up to 120 characters, e.g. “Sunset sail”.">
          ${control('title', (attrs) => html`
            <input ...${attrs} type="text" required maxlength="120" autocomplete="off" value=${values.title}
              onInput=${set('title')} />`)}
        <//>
        <${Field} label="Crew slots (besides the captain)" name="crew_slots" error=${error} hint="0 to 8.">
          ${control('crew_slots', (attrs) => html`
            <input ...${attrs} type="number" inputmode="numeric" min="0" max="8" step="1" required
              value=${values.crew_slots} onInput=${set('crew_slots')} />`)}
        <//>
        <${Field} label="Guest seats (optional)" name="guest_capacity" error=${error}
          hint="1 to 49. Left empty: the club's usual number.">
          ${control('guest_capacity', (attrs) => html`
            <input ...${attrs} type="number" inputmode="numeric" min="1" max="49" step="1"
              value=${values.guest_capacity} onInput=${set('guest_capacity')} />`)}
        <//>
        <${Field} label="Where guests meet (optional)" name="meeting_point" error=${error}
          hint="Up to 200 characters, e.g. the marina and dock. Left empty: the club's usual place.">
          ${control('meeting_point', (attrs) => html`
            <input ...${attrs} type="text" maxlength="200" autocomplete="off" value=${values.meeting_point}
              onInput=${set('meeting_point')} />`)}
        <//>
        <${Field} label="Notes (optional)" name="notes" error=${error}>
          ${control('notes', (attrs) => html`
            <textarea ...${attrs} maxlength="2000" value=${values.notes} onInput=${set('notes')}></textarea>`)}
        <//>
        <${ErrorNotice} error=${form.notice} />
        <div class="actions">
          <button type="submit" class="primary" disabled=${busy}>${busy ? 'Creating…' : Number(values.repeat_weeks) > 1 ? `Create ${Number(values.repeat_weeks)} sails` : 'Create sail'}</button>
          <a class="button" href="#/sails">Back to the sails</a>
        </div>
      </form>
    </section>`;
}
