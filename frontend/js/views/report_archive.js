// The report archive (admins): every report as it was sent, listed by kind and period, and one
// report opened whole, with what became of each recipient's message (delivered, bounced,
// complained, suppressed). The HTML part shows in a sandboxed iframe through its `srcdoc`
// property (reports.js's EmailFrame), never parsed into this page.
import { html, useState, useEffect } from '../html.js';
import { get } from '../api.js';
import { ErrorNotice, zonedFormat } from '../components.js';
import { EmailFrame } from './reports.js';

const when = (iso) => (iso
  ? zonedFormat({ month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit' }).format(new Date(iso))
  : '');
const STATUS = {
  sent: ['badge-warn', 'sent, no word from SES yet'],
  delivery: ['badge-ok', 'delivered'],
  bounce: ['badge-danger', 'bounced'],
  complaint: ['badge-danger', 'complaint'],
  suppressed: ['badge-danger', 'not sent: suppressed'],
};

function Filters({ query, kinds }) {
  const [kind, setKind] = useState(query.kind || '');
  const [from, setFrom] = useState(query.from || '');
  const [to, setTo] = useState(query.to || '');
  const apply = (event) => {
    event.preventDefault();
    const params = new URLSearchParams(Object.entries({ kind, from, to }).filter(([, v]) => v));
    window.location.hash = `#/reports/archive${params.toString() ? `?${params}` : ''}`;
  };
  return html`
    <form class="archive-filters actions" onSubmit=${apply} aria-label="Which reports">
      <label>Kind <select name="kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
        <option value="">every kind</option>
        ${kinds.map((k) => html`<option value=${k.kind}>${k.title}</option>`)}
      </select></label>
      <label>Period from <input type="date" name="from" value=${from} onInput=${(e) => setFrom(e.target.value)} /></label>
      <label>to <input type="date" name="to" value=${to} onInput=${(e) => setTo(e.target.value)} /></label>
      <button type="submit">Show</button>
    </form>`;
}

export function ReportArchive({ query = {}, session }) {
  const [reports, setReports] = useState(null);
  const [error, setError] = useState(null);
  const [kinds, setKinds] = useState([]);
  const isAdmin = session && session.role === 'admin';
  const search = new URLSearchParams(Object.entries(query).filter(([k, v]) => ['kind', 'from', 'to'].includes(k) && v));

  useEffect(() => {
    if (!isAdmin) return;
    setReports(null);
    setError(null);
    get(`/reports/archive${search.toString() ? `?${search}` : ''}`)
      .then((answer) => setReports(answer.reports))
      .catch(setError);
  }, [isAdmin, search.toString()]);

  useEffect(() => {
    if (isAdmin) get('/reports').then((answer) => setKinds(answer.reports)).catch(() => setKinds([]));
  }, [isAdmin]);

  if (!isAdmin) return html`<section class="card"><h1>Report archive</h1><p>The archive is for admins.</p></section>`;
  return html`
    <section class="reports report-archive">
      <h1>Report archive</h1>
      <p class="hint">Every report as it was sent. <a href="#/reports">Back to the reports</a>.</p>
      <${Filters} query=${query} kinds=${kinds} />
      <${ErrorNotice} error=${error} />
      ${reports === null && !error ? html`<p class="loading">Loading…</p>` : null}
      ${reports && !reports.length ? html`<p>No report was sent for these periods.</p>` : null}
      ${reports && reports.length ? html`
        <table class="archive-table">
          <thead><tr><th scope="col">Period</th><th scope="col">Report</th><th scope="col">Sent</th><th scope="col">To</th></tr></thead>
          <tbody>
            ${reports.map((r) => html`
              <tr key=${r.id}>
                <td>${r.period}</td>
                <td><a href=${`#/reports/archive/${encodeURIComponent(r.id)}`}>${r.title || r.kind}</a></td>
                <td>${when(r.sent_at)}</td>
                <td>${(r.recipients || []).join(', ')}</td>
              </tr>`)}
          </tbody>
        </table>` : null}
    </section>`;
}

function Delivery({ delivery }) {
  const [badge, words] = STATUS[delivery.status] || ['badge-warn', delivery.status];
  return html`
    <li class="archive-delivery">
      ${delivery.recipient} <span class=${`badge ${badge}`}>${words}</span>
      ${delivery.at ? html` · ${when(delivery.at)}` : null}
      ${delivery.detail ? html`<br /><span class="report-meta">${delivery.detail}</span>` : null}
      ${delivery.suppressed ? html`<br /><span class="report-error">No more mail to this address: ${delivery.suppressed.reason}</span>` : null}
      <br /><span class="report-id">MessageId <code>${delivery.message_id}</code></span>
    </li>`;
}

export function ArchivedReport({ params = {}, session }) {
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  const [part, setPart] = useState('html');
  const isAdmin = session && session.role === 'admin';

  useEffect(() => {
    if (!isAdmin) return;
    get(`/reports/archive/${encodeURIComponent(params.id)}`).then(setReport).catch(setError);
  }, [isAdmin, params.id]);

  if (!isAdmin) return html`<section class="card"><h1>Report archive</h1><p>The archive is for admins.</p></section>`;
  return html`
    <section class="reports archived-report">
      <p class="hint"><a href="#/reports/archive">Back to the archive</a></p>
      <${ErrorNotice} error=${error} />
      ${report === null && !error ? html`<p class="loading">Loading…</p>` : null}
      ${report ? html`
        <article class="card report-preview">
          <h1>${report.subject}</h1>
          <p class="report-meta">${report.title || report.kind} · ${report.period} · sent ${when(report.sent_at)}
            ${report.bcc && report.bcc.length ? html` · Bcc ${report.bcc.join(', ')}` : null}</p>
          <h2>Deliveries</h2>
          <ul class="archive-deliveries">${(report.deliveries || []).map((d) => html`<${Delivery} key=${d.message_id + d.recipient} delivery=${d} />`)}</ul>
          <div class="actions report-parts" role="group" aria-label="Which part to show">
            <button type="button" aria-pressed=${part === 'html'} onClick=${() => setPart('html')}>Email</button>
            <button type="button" aria-pressed=${part === 'text'} onClick=${() => setPart('text')}>Plain text</button>
          </div>
          ${part === 'html'
            ? html`<${EmailFrame} htmlPart=${report.html} title=${`Archived email: ${report.subject}`} />`
            : html`<pre class="report-text" tabindex="0" aria-label=${`Plain text of ${report.subject}`}>${report.text}</pre>`}
        </article>` : null}
    </section>`;
}
