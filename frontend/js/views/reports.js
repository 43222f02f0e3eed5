// Executive reports (admins): each kind with its last run and SES MessageId, a rendered
// preview, and a button to send one now. The preview's HTML part goes into a sandboxed
// iframe through its `srcdoc` property (set from script, never parsed into this page); the
// plain-text part shows as text.
//
// Send now is answered at once (202, queued): the report function sends it, paced as SES
// wants. The page then reads the list every POLL_EVERY_MS, for up to POLL_FOR_MS, until that
// kind's last run for the period is a new sent or failed record, and shows it.
import { html, useState, useEffect, useRef, useCallback } from '../html.js';
import { get, post } from '../api.js';
import { ErrorNotice, Notice, formatSpoken } from '../components.js';

const POLL_EVERY_MS = 2000;
const POLL_FOR_MS = 60000;

const lastRunOf = (reports, kind) => ((reports || []).find((r) => r.kind === kind) || {}).last_run || null;

// The run the queued send recorded: of its period, sent or failed, and not the one seen before.
const recorded = (run, queued) => Boolean(run) && run.period === queued.period
  && run.updated_at !== queued.before && (run.status === 'sent' || run.status === 'failed');

// "Sent Monday 8:02 am to 3 people": the run's deliveries of its period, as a sentence.
export function sentSentence(run) {
  if (!run) return null;
  const deliveries = (run.deliveries && run.deliveries.length ? run.deliveries : [run]).filter((d) => d.status === 'sent');
  if (!deliveries.length) return null;
  const latest = deliveries.map((d) => d.sent_at).filter(Boolean).sort().pop();
  const people = deliveries.length;
  return `Sent ${latest ? `${formatSpoken(latest)} ` : ''}to ${people} ${people === 1 ? 'person' : 'people'}`;
}

function LastRun({ run }) {
  if (!run) return html`<p class="report-run">Not sent yet.</p>`;
  const sent = run.status === 'sent';
  const ids = (run.deliveries && run.deliveries.length ? run.deliveries : [run]).filter((d) => d.message_id);
  return html`
    <div class="report-run">
      <p>
        <span class=${`badge ${sent ? 'badge-ok' : run.status === 'failed' ? 'badge-danger' : 'badge-warn'}`}>${run.status}</span>
        ${' '}${run.period}${sent && sentSentence(run) ? ` · ${sentSentence(run)}` : null}
      </p>
      ${run.error ? html`<p class="report-error">${run.error}</p>` : null}
      ${ids.length ? html`
        <details class="report-ids">
          <summary>Delivery details</summary>
          <ul>${ids.map((d) => html`<li>${d.recipient ? `${d.recipient}: ` : ''}MessageId <code>${d.message_id}</code></li>`)}</ul>
        </details>` : null}
    </div>`;
}

export function EmailFrame({ htmlPart, title }) {
  const frame = useRef(null);
  // srcdoc is a property set from script: the report's HTML never passes through this page's DOM.
  useEffect(() => { if (frame.current) frame.current.srcdoc = htmlPart; }, [htmlPart]);
  return html`<iframe ref=${frame} class="report-frame" sandbox="" referrerpolicy="no-referrer" title=${title}></iframe>`;
}

function Preview({ preview, onClose }) {
  const [part, setPart] = useState('html');
  const heading = useRef(null);
  useEffect(() => { if (heading.current) heading.current.focus(); }, [preview.kind, preview.period]);
  return html`
    <section class="card report-preview" aria-labelledby="report-preview-title">
      <h2 id="report-preview-title" tabindex="-1" ref=${heading}>Preview: ${preview.subject}</h2>
      <p class="report-meta">To ${preview.to.join(', ')}${preview.bcc.length ? html` · Bcc ${preview.bcc.join(', ')}` : null}</p>
      ${preview.missing.length ? html`<p class="report-meta">${preview.missing.length} missing input${preview.missing.length === 1 ? '' : 's'} (listed in the report)</p>` : null}
      <div class="actions report-parts" role="group" aria-label="Which part to show">
        <button type="button" aria-pressed=${part === 'html'} onClick=${() => setPart('html')}>Email</button>
        <button type="button" aria-pressed=${part === 'text'} onClick=${() => setPart('text')}>Plain text</button>
        <button type="button" onClick=${onClose}>Close preview</button>
      </div>
      ${part === 'html'
        ? html`<${EmailFrame} htmlPart=${preview.html} title=${`Email preview: ${preview.subject}`} />`
        : html`<pre class="report-text" tabindex="0" aria-label=${`Plain text of ${preview.subject}`}>${preview.text}</pre>`}
    </section>`;
}

function ReportCard({ report, busy, sending, onPreview, onSend }) {
  return html`
    <li class="card report-card">
      <h2>${report.title}</h2>
      <p class="report-meta">${report.schedule} · this period: ${report.period}</p>
      <${LastRun} run=${report.last_run} />
      <div class="actions">
        <button type="button" aria-label=${`Preview ${report.title}`} disabled=${busy} onClick=${() => onPreview(report.kind)}>Preview</button>
        <button type="button" class="primary" aria-label=${`Send ${report.title} now`} disabled=${busy || sending}
          onClick=${() => onSend(report.kind, false)}>${sending ? 'Sending…' : 'Send now'}</button>
      </div>
    </li>`;
}

export function Reports({ query = {}, session }) {
  const [reports, setReports] = useState(null);
  const [error, setError] = useState(null);
  const [preview, setPreview] = useState(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(null);
  const [resend, setResend] = useState(null); // {kind, title, period, sentence} after a 409 (already sent)
  const [queued, setQueued] = useState(null); // {kind, title, period, before} while it is being sent
  const [late, setLate] = useState(null); // the queued send not recorded within POLL_FOR_MS
  const isAdmin = session && session.role === 'admin';

  const load = useCallback(async () => {
    try {
      setReports((await get('/reports')).reports);
    } catch (failure) {
      setError(failure);
    }
  }, []);

  const title = (kind) => ((reports || []).find((r) => r.kind === kind) || { title: kind }).title;

  const showPreview = async (kind, period) => {
    setBusy(true);
    setError(null);
    try {
      setPreview(await post(`/reports/${encodeURIComponent(kind)}/preview`, period ? { period } : {}));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const send = async (kind, force) => {
    if (force && !window.confirm(`Send the ${title(kind)} again? The owner and the archive get another copy.`)) return;
    setBusy(true);
    setError(null);
    setSent(null);
    setResend(null);
    setLate(null);
    const seen = lastRunOf(reports, kind);
    try {
      const outcome = await post(`/reports/${encodeURIComponent(kind)}/send`, force ? { force: true } : {});
      const before = seen && seen.period === outcome.period ? seen.updated_at : null;
      setQueued({ kind, title: title(kind), period: outcome.period, before });
    } catch (failure) {
      if (failure.status === 409) {
        // Already sent for this period: said as a status from the list's own record.
        let list = reports;
        try { list = (await get('/reports')).reports; setReports(list); } catch { /* the last list will do */ }
        const run = lastRunOf(list, kind);
        setResend({ kind, title: title(kind), period: run && run.period, sentence: sentSentence(run) });
      } else setError(failure);
    } finally {
      setBusy(false);
    }
  };

  // While a send is queued: read the list until its run is recorded (or POLL_FOR_MS passed).
  useEffect(() => {
    if (!queued) return undefined;
    let stopped = false;
    let timer = null;
    let lastFailure = null;
    const deadline = Date.now() + POLL_FOR_MS;
    const tick = async () => {
      let list = null;
      try {
        list = (await get('/reports')).reports;
      } catch (failure) {
        lastFailure = failure; // a blip: the next read may work
      }
      if (stopped) return;
      if (list) {
        setReports(list);
        const run = lastRunOf(list, queued.kind);
        if (recorded(run, queued)) {
          setQueued(null);
          if (run.status === 'sent') setSent({ title: queued.title, period: run.period, sentence: sentSentence(run) });
          else setError({ message: `The ${queued.title} for ${run.period} was not sent: ${run.error || 'it failed'}.` });
          return;
        }
      }
      if (Date.now() >= deadline) {
        setQueued(null);
        if (lastFailure && !list) setError(lastFailure);
        else setLate(queued);
        return;
      }
      timer = setTimeout(tick, POLL_EVERY_MS);
    };
    timer = setTimeout(tick, POLL_EVERY_MS);
    return () => { stopped = true; clearTimeout(timer); };
  }, [queued]);

  useEffect(() => {
    if (!isAdmin) return;
    load();
    if (query.kind) showPreview(query.kind, query.period);
  }, [isAdmin]);

  if (!isAdmin) {
    return html`<section class="card"><h1>Reports</h1><p>Reports are for admins. <a href="#/sails">Go to the sails</a>.</p></section>`;
  }
  return html`
    <section class="reports">
      <h1>Reports</h1>
      <p class="hint">Each report is sent once per period to the owner, with a copy to the archive. Its action items become cards on the <a href="#/board">board</a>. Every report sent is kept in the <a href="#/reports/archive">archive</a>.</p>
      <div aria-live="polite">
        ${queued ? html`<${Notice}>Queued — sending the ${queued.title} for ${queued.period}…</${Notice}>` : null}
        ${sent ? html`<${Notice}>Sent the ${sent.title} for ${sent.period}.${sent.sentence ? ` ${sent.sentence}.` : ''}</${Notice}>` : null}
        ${late ? html`<${Notice}>The ${late.title} for ${late.period} is not recorded yet. It shows here once sent; if it does not within a few minutes, the send failed and the alarm went to the admins.</${Notice}>` : null}
      </div>
      ${resend ? html`
        <div class="notice report-resend" role="status">
          <p>The ${resend.title}${resend.period ? ` for ${resend.period}` : ''} was already sent: ${resend.sentence || 'it has been sent for this period'}.</p>
          <button type="button" disabled=${busy} onClick=${() => send(resend.kind, true)}>Send again anyway</button>
        </div>` : null}
      <${ErrorNotice} error=${error} />
      ${preview ? html`<${Preview} preview=${preview} onClose=${() => setPreview(null)} />` : null}
      ${reports === null && !error ? html`<p class="loading">Loading…</p>` : null}
      ${reports ? html`
        <ul class="report-list">
          ${reports.map((r) => html`<${ReportCard} key=${r.kind} report=${r} busy=${busy}
            sending=${Boolean(queued && queued.kind === r.kind)} onPreview=${showPreview} onSend=${send} />`)}
        </ul>` : null}
    </section>`;
}
