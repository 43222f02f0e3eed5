// When to be at the dock: sunset, departure, return, civil dusk; a live countdown on the day.
import { html, useEffect, useState } from '../html.js';
import { get } from '../api.js';
import {
  ErrorNotice, Field, formatDate, formatTime, zonedFormat,
} from './base.js';


// Today's date in San Diego as YYYY-MM-DD, whatever the phone's zone.
export const sanDiegoToday = (now = new Date()) => zonedFormat({ year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA').format(now);

function duration(ms) {
  const minutes = Math.max(0, Math.round(ms / 60000));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

// What the countdown says at `now` for a sail on its day; null on other days.
export function countdownText(sail, now = new Date()) {
  if (!sail || !sail.departure || sail.status === 'cancelled') return null;
  if (sanDiegoToday(now) !== sail.date) return null;
  const departure = new Date(sail.departure).getTime();
  const back = new Date(sail.return).getTime();
  const t = now.getTime();
  if (t < departure) return `Departure in ${duration(departure - t)}`;
  if (t < back) return `Under way: back at the dock in ${duration(back - t)}`;
  return 'This sail is back at the dock.';
}

function Countdown({ sail }) {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 30000);
    return () => clearInterval(timer);
  }, []);
  const text = countdownText(sail, now);
  if (!text) return null;
  return html`<p class="countdown" role="timer" aria-live="off">${text}</p>`;
}

// `times` has sunset, departure, return, civil_dusk (and golden_hour_start): a sail or a preview.
// A cancelled sail keeps its times for the record, struck through and said plainly: it does not sail.
export function TimingPanel({ times, heading = 'Timing', live = true }) {
  if (!times) return null;
  const cancelled = times.status === 'cancelled';
  return html`
    <section class=${`card timing-panel${cancelled ? ' timing-cancelled' : ''}`} aria-labelledby="timing-heading">
      <h2 id="timing-heading">${heading}${cancelled ? ' (cancelled)' : ''}</h2>
      ${cancelled ? html`<p class="notice notice-error timing-cancelled-note">Cancelled: this sail will not depart. The times below were planned.</p>` : null}
      ${live && !cancelled ? html`<${Countdown} sail=${times} />` : null}
      <dl class="timing-list">
        <div class="timing-row timing-key">
          <dt>Departure</dt><dd data-testid="departure">${formatTime(times.departure)}</dd>
        </div>
        <div class="timing-row">
          <dt>Sunset</dt><dd data-testid="sunset">${formatTime(times.sunset)}</dd>
        </div>
        <div class="timing-row">
          <dt>Civil dusk</dt><dd>${formatTime(times.civil_dusk)}</dd>
        </div>
        <div class="timing-row timing-key">
          <dt>Return</dt><dd data-testid="return">${formatTime(times.return)}</dd>
        </div>
        ${times.golden_hour_start ? html`
          <div class="timing-row">
            <dt>Golden hour from</dt><dd>${formatTime(times.golden_hour_start)}</dd>
          </div>` : null}
      </dl>
      ${cancelled ? null : html`<p class="hint timing-basis">${times.start
        ? `San Diego time. A fixed-time sail: it departs at ${formatTime(times.departure)} and is out for ${duration(Number(times.duration_minutes) * 60000)}.`
        : 'San Diego time. Be at the dock for departure; times follow the sunset of the day.'}</p>`}
    </section>`;
}

// The times a date would have, read from the API as the date (and a fixed start) is picked.
export function TimingPreview({ date, start = '', duration = '' }) {
  const [state, setState] = useState({ times: null, error: null, loading: false });
  const fixed = /^\d{2}:\d{2}$/.test(start) && /^\d+$/.test(String(duration).trim());
  const query = `date=${encodeURIComponent(date)}${fixed
    ? `&start=${encodeURIComponent(start)}&duration_minutes=${encodeURIComponent(String(duration).trim())}` : ''}`;
  useEffect(() => {
    if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      setState({ times: null, error: null, loading: false });
      return undefined;
    }
    let stale = false;
    setState((previous) => ({ ...previous, loading: true }));
    get(`/sun?${query}`)
      .then((times) => { if (!stale) setState({ times, error: null, loading: false }); })
      .catch((error) => { if (!stale) setState({ times: null, error, loading: false }); });
    return () => { stale = true; };
  }, [query]);
  if (state.error) return html`<${ErrorNotice} error=${state.error} />`;
  if (!state.times) {
    return html`<p class="hint timing-preview-empty" aria-live="polite">
      ${state.loading ? 'Working out the times…' : 'Pick a date to see the sunset and the sail times.'}</p>`;
  }
  const times = fixed ? { ...state.times, start, duration_minutes: String(duration).trim() } : state.times;
  return html`
    <div aria-live="polite">
      <${TimingPanel} times=${times} heading=${`Times for ${formatDate(state.times.date)}`} live=${false} />
    </div>`;
}

// How a sail departs, for the new and edit forms: relative to the sunset, or at a fixed local
// time for a number of minutes. `values` has timing ('sunset' | 'fixed'), start and duration_minutes.
export function TimingFields({ values, set, error, idPrefix = 'timing' }) {
  const attrs = ({ id, invalid, describedBy }) => ({
    id, 'aria-invalid': invalid ? 'true' : 'false', 'aria-describedby': describedBy,
  });
  const choose = (value) => () => set('timing')({ target: { value } });
  return html`
    <fieldset class="field timing-choice">
      <legend>When does it depart?</legend>
      <label class="choice">
        <input type="radio" name=${`${idPrefix}-timing`} value="sunset" checked=${values.timing !== 'fixed'}
          onChange=${choose('sunset')} />
        ${' '}With the sunset (departs before it, back after)
      </label>
      <label class="choice">
        <input type="radio" name=${`${idPrefix}-timing`} value="fixed" checked=${values.timing === 'fixed'}
          onChange=${choose('fixed')} />
        ${' '}At a fixed time (a morning sail, a charter)
      </label>
    </fieldset>
    ${values.timing === 'fixed' ? html`
      <${Field} label="Departure time (San Diego)" name="start" error=${error} hint="For example 14:00.">
        ${(a) => html`<input ...${attrs(a)} type="time" step="60" required value=${values.start}
          onInput=${set('start')} onChange=${set('start')} />`}
      <//>
      <${Field} label="Duration in minutes" name="duration_minutes" error=${error} hint="15 to 720; 180 is three hours.">
        ${(a) => html`<input ...${attrs(a)} type="number" inputmode="numeric" min="15" max="720" step="5" required
          value=${values.duration_minutes} onInput=${set('duration_minutes')} />`}
      <//>` : null}`;
}

// What the form's timing values send: start and duration for a fixed time; nothing (or null
// start, to go back to the sunset) otherwise.
export function timingBody(values) {
  if (values.timing !== 'fixed') return { start: null };
  const minutes = String(values.duration_minutes).trim();
  return { start: values.start, duration_minutes: /^\d+$/.test(minutes) ? Number(minutes) : minutes };
}
