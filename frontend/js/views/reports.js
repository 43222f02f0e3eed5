// Executive reports (admins): each kind with its last run and SES MessageId, a rendered
// preview, and a button to send one now. The preview's HTML part goes into a sandboxed
// iframe through its `srcdoc` property (set from script, never parsed into this page); the
// plain-text part shows as text.
import { html, useState, useEffect, useRef, useCallback } from '../html.js';
import { get, post } from '../api.js';
import { ErrorNotice, Notice } from '../components.js';

const stamp = new Intl.DateTimeFormat('en-US', {
  month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit', timeZone: 'America/Los_Angeles',
});
const when = (iso) => (iso ? stamp.format(new Date(iso)) : '');

function LastRun({ run }) {
  if (!run) return html`<p class="report-run">Not sent yet.</p>`;
  const sent = run.status === 'sent';
  return html`
    <p class="report-run">
      <span class=${`badge ${sent ? 'badge-ok' : run.status === 'failed' ? 'badge-danger' : 'badge-warn'}`}>${run.status}</span>
      ${' '}${run.period}${run.sent_at ? html` · ${when(run.sent_at)}` : null}
      ${run.message_id ? html`<br /><span class="report-id">MessageId <code>${run.message_id}</code></span>` : null}
      ${run.error ? html`<br /><span class="report-error">${run.error}</span>` : null}
    </p>`;
}

function EmailFrame({ htmlPart, title }) {
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

function ReportCard({ report, busy, onPreview, onSend }) {
  return html`
    <li class="card report-card">
      <h2>${report.title}</h2>
      <p class="report-meta">${report.schedule} · this period: ${report.period}</p>
      <${LastRun} run=${report.last_run} />
      <div class="actions">
        <button type="button" aria-label=${`Preview ${report.title}`} disabled=${busy} onClick=${() => onPreview(report.kind)}>Preview</button>
        <button type="button" class="primary" aria-label=${`Send ${report.title} now`} disabled=${busy}
          onClick=${() => onSend(report.kind, false)}>Send now</button>
      </div>
    </li>`;
}

export function Reports({ query = {}, session }) {
  const [reports, setReports] = useState(null);
  const [error, setError] = useState(null);
  const [preview, setPreview] = useState(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(null);
  const [resend, setResend] = useState(null); // {kind, title, message} after a 409
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
    try {
      const outcome = await post(`/reports/${encodeURIComponent(kind)}/send`, force ? { force: true } : {});
      setSent({ ...outcome, title: title(kind) });
      await load();
    } catch (failure) {
      if (failure.status === 409) setResend({ kind, title: title(kind), message: failure.message });
      else setError(failure);
    } finally {
      setBusy(false);
    }
  };

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
      <p class="hint">Each report is sent once per period to the owner, with a copy to the archive. Its action items become cards on the <a href="#/board">board</a>.</p>
      <div aria-live="polite">
        ${sent ? html`<${Notice}>Sent the ${sent.title} for ${sent.period}. MessageId <code>${sent.message_id}</code></${Notice}>` : null}
      </div>
      ${resend ? html`
        <div class="notice notice-error report-resend" role="alert">
          <p>${resend.message}</p>
          <button type="button" class="danger" disabled=${busy} onClick=${() => send(resend.kind, true)}>Send again anyway</button>
        </div>` : null}
      <${ErrorNotice} error=${error} />
      ${preview ? html`<${Preview} preview=${preview} onClose=${() => setPreview(null)} />` : null}
      ${reports === null && !error ? html`<p class="loading">Loading…</p>` : null}
      ${reports ? html`
        <ul class="report-list">
          ${reports.map((r) => html`<${ReportCard} key=${r.kind} report=${r} busy=${busy} onPreview=${showPreview} onSend=${send} />`)}
        </ul>` : null}
    </section>`;
}
