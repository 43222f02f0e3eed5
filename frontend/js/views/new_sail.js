// The admin's "new sail" form, with a live preview of the times as the date changes.
import { html, useEffect, useState } from '../html.js';
import { get, post } from '../api.js';
import { ErrorNotice, Field, formatDate } from '../components.js';
import { go } from '../router.js';
import { TimingPanel, sanDiegoToday } from './timing_panel.js';

export function TimingPreview({ date }) {
  const [state, setState] = useState({ times: null, error: null, loading: false });
  useEffect(() => {
    if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      setState({ times: null, error: null, loading: false });
      return undefined;
    }
    let stale = false;
    setState((previous) => ({ ...previous, loading: true }));
    get(`/sun?date=${encodeURIComponent(date)}`)
      .then((times) => { if (!stale) setState({ times, error: null, loading: false }); })
      .catch((error) => { if (!stale) setState({ times: null, error, loading: false }); });
    return () => { stale = true; };
  }, [date]);
  if (state.error) return html`<${ErrorNotice} error=${state.error} />`;
  if (!state.times) {
    return html`<p class="hint timing-preview-empty" aria-live="polite">
      ${state.loading ? 'Working out the sunset…' : 'Pick a date to see the sunset and the sail times.'}</p>`;
  }
  return html`
    <div aria-live="polite">
      <${TimingPanel} times=${state.times} heading=${`Times for ${formatDate(state.times.date)}`} live=${false} />
    </div>`;
}

export function NewSail({ session }) {
  const [form, setForm] = useState({ date: '', title: '', crew_slots: '2', notes: '' });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  if (!session || session.role !== 'admin') {
    return html`<section class="card"><h1>New sail</h1><p>Only an admin can create sails.</p></section>`;
  }

  const set = (name) => (event) => setForm({ ...form, [name]: event.target.value });

  const submit = async (event) => {
    event.preventDefault();
    // The server checks every field and names the one it refuses; that error shows next to it.
    setBusy(true);
    setError(null);
    try {
      const created = await post('/sails', {
        date: form.date,
        title: form.title,
        crew_slots: /^\d+$/.test(form.crew_slots.trim()) ? Number(form.crew_slots) : form.crew_slots,
        notes: form.notes,
      });
      go(`#/sails/${encodeURIComponent(created.id)}`);
    } catch (failure) {
      setError(failure);
      if (failure.field) {
        const input = document.getElementById(`field-${failure.field}`);
        if (input) input.focus();
      }
    } finally {
      setBusy(false);
    }
  };

  const control = (name, render) => ({ id, invalid, describedBy }) => render({
    id, name, 'aria-invalid': invalid ? 'true' : 'false', 'aria-describedby': describedBy,
  });

  return html`
    <section class="card new-sail">
      <h1>New sail</h1>
      <form onSubmit=${submit} noValidate>
        <${Field} label="Date" name="date" error=${error} hint="The times follow that evening's sunset in San Diego.">
          ${control('date', (attrs) => html`
            <input ...${attrs} type="date" required min=${sanDiegoToday()} value=${form.date}
              onInput=${set('date')} onChange=${set('date')} />`)}
        <//>
        <${TimingPreview} date=${form.date} />
        <${Field} label="Title" name="title" error=${error} hint="Up to 120 characters, e.g. “Sunset sail”.">
          ${control('title', (attrs) => html`
            <input ...${attrs} type="text" required maxlength="120" autocomplete="off" value=${form.title}
              onInput=${set('title')} />`)}
        <//>
        <${Field} label="Crew slots (besides the captain)" name="crew_slots" error=${error} hint="0 to 8.">
          ${control('crew_slots', (attrs) => html`
            <input ...${attrs} type="number" inputmode="numeric" min="0" max="8" step="1" required
              value=${form.crew_slots} onInput=${set('crew_slots')} />`)}
        <//>
        <${Field} label="Notes (optional)" name="notes" error=${error}>
          ${control('notes', (attrs) => html`
            <textarea ...${attrs} maxlength="2000" value=${form.notes} onInput=${set('notes')}></textarea>`)}
        <//>
        <${ErrorNotice} error=${error && !error.field ? error : null} />
        <div class="actions">
          <button type="submit" class="primary" disabled=${busy}>${busy ? 'Creating…' : 'Create sail'}</button>
          <a class="button" href="#/sails">Back to the sails</a>
        </div>
      </form>
    </section>`;
}
