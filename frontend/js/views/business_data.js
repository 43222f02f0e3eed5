// Business data (admins, issue 22): the portfolio the reports read, as forms grouped as the
// reports use them. Saving sends the whole document with the version it was read from: the
// server checks every field (a refusal names the field; nothing is stored) and refuses a save
// from an older version (409: what was typed stays). Every save is a version: listed with who
// and when, compared with now, restored. The whole file downloads and uploads (same checks).
import { html, useState, useEffect } from '../html.js';
import { api, get, post } from '../api.js';
import { ErrorNotice, Notice, ConflictNotice, Field, useForm, formatSpoken } from '../components.js';

// The groups, as the reports use them; any other key of the file goes under "Everything else".
const GROUPS = [
  ['entities', 'Entities and assets', ['entities', 'assets', 'properties']],
  ['revenue', 'Revenue', ['revenue_streams', 'revenue', 'charters']],
  ['costs', 'Costs', ['expenses', 'finance', 'initiatives', 'cloud_bills', 'cloud_savings']],
  ['clients', 'Clients', ['client_portfolio', 'rental', 'yacht_delivery']],
  ['targets', 'Targets', ['revenue_targets', 'goals', 'kpis']],
  ['deadlines', 'Deadlines', ['milestones', 'security_findings', 'ota_listings', 'seo']],
];
const GROUPED = new Set(GROUPS.flatMap(([, , names]) => names));

const isRecord = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const isScalar = (value) => value === null || ['string', 'number', 'boolean'].includes(typeof value);
const words = (name) => String(name).replace(/_/g, ' ');
const nameOf = (item) => item.name || item.id || item.title || [item.entity, item.stream, item.month].filter(Boolean).join(' ');

// Every editable leaf (a scalar) of the document by its path ('revenue[3].amount'), as text.
function leaves(value, path = '', found = {}) {
  if (isRecord(value)) {
    Object.entries(value).forEach(([key, inner]) => leaves(inner, path ? `${path}.${key}` : key, found));
  } else if (Array.isArray(value) && value.some(isRecord)) {
    value.forEach((inner, n) => leaves(inner, `${path}[${n}]`, found));
  } else if (isScalar(value)) {
    found[path] = typeof value === 'boolean' ? value : value === null ? '' : String(value);
  }
  return found;
}

const steps = (path) => path.match(/[^.[\]]+/g).map((part) => (/^\d+$/.test(part) ? Number(part) : part));

function setPath(document, path, value) {
  const parts = steps(path);
  let node = document;
  parts.slice(0, -1).forEach((part) => { node = node[part]; });
  node[parts[parts.length - 1]] = value;
}

function getPath(document, path) {
  return steps(path).reduce((node, part) => (node == null ? undefined : node[part]), document);
}

// The document to save: the one read, with each changed field typed as it was (a number stays a
// number when what was typed is one; otherwise the text goes, and the server names the field).
function documentOf(values, base) {
  const document = structuredClone(base.document);
  const was = leaves(base.document);
  Object.entries(values).forEach(([path, typed]) => {
    if (typed === was[path]) return;
    const original = getPath(base.document, path);
    let value = typed;
    if (typeof original === 'number' && /^\s*-?\d+(\.\d+)?\s*$/.test(typed)) value = Number(typed);
    else if (original === null && typed === '') value = null;
    setPath(document, path, value);
  });
  return document;
}

function Leaf({ path, name, value, form }) {
  if (typeof value === 'boolean') {
    return html`
      <div class="field field-check">
        <input type="checkbox" id=${`field-${path}`} checked=${form.values[path]} onChange=${form.set(path)} />
        <label for=${`field-${path}`}>${words(name)}</label>
      </div>`;
  }
  return html`
    <${Field} label=${words(name)} name=${path} error=${form.error}>
      ${({ id, invalid, describedBy }) => html`
        <input id=${id} type="text" inputmode=${typeof value === 'number' ? 'decimal' : undefined}
          value=${form.values[path] ?? ''} onInput=${form.set(path)}
          aria-invalid=${invalid ? 'true' : undefined} aria-describedby=${describedBy} />`}
    </${Field}>`;
}

function Node({ path, name, value, form }) {
  if (isScalar(value)) return html`<${Leaf} path=${path} name=${name} value=${value} form=${form} />`;
  if (Array.isArray(value) && !value.some(isRecord)) {
    return html`<p class="hint">${words(name)}: ${value.join(', ') || '(none)'} <em>(edit in the file)</em></p>`;
  }
  if (Array.isArray(value)) {
    return html`
      <div class="bd-list">
        <h4>${words(name)} (${value.length})</h4>
        ${value.map((item, n) => html`
          <fieldset class="bd-record" key=${`${path}[${n}]`}>
            <legend>${words(name)} ${n + 1}${nameOf(item) ? `: ${nameOf(item)}` : ''}</legend>
            ${Object.entries(item).map(([key, inner]) => html`
              <${Node} key=${key} path=${`${path}[${n}].${key}`} name=${key} value=${inner} form=${form} />`)}
          </fieldset>`)}
      </div>`;
  }
  return html`
    <fieldset class="bd-record">
      <legend>${words(name)}</legend>
      ${Object.entries(value).map(([key, inner]) => html`
        <${Node} key=${key} path=${`${path}.${key}`} name=${key} value=${inner} form=${form} />`)}
    </fieldset>`;
}

function Group({ id, title, names, document, form, open, onToggle }) {
  const present = names.filter((name) => name in document);
  if (!present.length) return null;
  return html`
    <details class="card bd-group" open=${open} onToggle=${(event) => onToggle(id, event.currentTarget.open)}>
      <summary class="bd-group-title">${title}</summary>
      ${open ? present.map((name) => html`
        <${Node} key=${name} path=${name} name=${name} value=${document[name]} form=${form} />`) : null}
    </details>`;
}

const shownValue = (value) => (value === null || value === undefined ? '(none)' : String(value));

function Changes({ changes, caption }) {
  if (!changes.length) return html`<p>No differences.</p>`;
  return html`
    <table class="bd-changes">
      <caption>${caption}</caption>
      <thead><tr><th scope="col">Field</th><th scope="col">Then</th><th scope="col">Now</th></tr></thead>
      <tbody>${changes.map((c) => html`
        <tr key=${c.path}><th scope="row"><code>${c.path}</code></th><td>${shownValue(c.before)}</td><td>${shownValue(c.after)}</td></tr>`)}
      </tbody>
    </table>`;
}

function Versions({ current, versions, compared, onCompare, onRestore, busy }) {
  return html`
    <section class="card bd-versions" aria-labelledby="bd-versions-title">
      <h2 id="bd-versions-title">Versions</h2>
      ${versions.length ? html`
        <ol class="bd-version-list" reversed>
          ${versions.map((v) => html`
            <li key=${v.version}>
              <p><strong>Version ${v.version}</strong>${v.version === current ? ' (current)' : ''}: ${v.how}
                ${v.by ? ` by ${v.by}` : ''}${v.at ? `, ${formatSpoken(v.at)}` : ''}${v.changed ? ` · ${v.changed} change${v.changed === 1 ? '' : 's'}` : ''}</p>
              ${v.version !== current ? html`
                <div class="actions">
                  <button type="button" disabled=${busy} onClick=${() => onCompare(v.version)}
                    aria-label=${`Compare version ${v.version} with now`}>Compare with now</button>
                  <button type="button" disabled=${busy} onClick=${() => onRestore(v.version)}
                    aria-label=${`Restore version ${v.version}`}>Restore</button>
                </div>` : null}
            </li>`)}
        </ol>` : html`<p>Not saved here yet: the reports read the data file. The first save keeps that file as version 1.</p>`}
      ${compared ? html`<${Changes} changes=${compared.to_current}
        caption=${`Version ${compared.version} (then) against the current version (now)`} />` : null}
    </section>`;
}

export function BusinessData({ session }) {
  const isAdmin = session && session.role === 'admin';
  const [base, setBaseState] = useState(null);
  const [versions, setVersions] = useState([]);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [compared, setCompared] = useState(null);
  const [open, setOpen] = useState({ revenue: true });

  const loadVersions = async () => setVersions((await get('/portfolio/versions')).versions);
  const after = async (answer, said) => {
    form.setBase(answer);
    form.reset(leaves(answer.document));
    setCompared(null);
    setSaved(said(answer));
    await loadVersions();
  };
  const form = useForm({
    submit: (values, current) => api('PUT', '/portfolio', { version: current.version, document: documentOf(values, current) }),
    done: (answer) => after(answer, (a) => (a.version === (form.base && form.base.version)
      ? 'Nothing changed: nothing was saved.'
      : `Saved as version ${a.version} (${a.changed} change${a.changed === 1 ? '' : 's'}).`)),
    refetch: () => get('/portfolio'),
    valuesOf: (b) => leaves(b.document),
  });

  useEffect(() => {
    if (!isAdmin) return;
    (async () => {
      try {
        const current = await get('/portfolio');
        form.setBase(current);
        form.reset(leaves(current.document));
        setBaseState(current);
        await loadVersions();
      } catch (failure) {
        setError(failure);
      }
    })();
  }, [isAdmin]);

  // A refused field: open its group and take the focus there.
  useEffect(() => {
    const field = form.error && form.error.field;
    if (!field || !form.base) return;
    const top = steps(field)[0];
    const group = (GROUPS.find(([, , names]) => names.includes(top)) || ['other'])[0];
    setOpen((was) => ({ ...was, [group]: true }));
    setTimeout(() => { const input = document.getElementById(`field-${field}`); if (input) input.focus(); }, 0);
  }, [form.error]);

  const compare = (version) => form.run(async () => setCompared(await get(`/portfolio/versions/${version}`)), null);
  const restore = (version) => form.run(
    () => post(`/portfolio/versions/${version}/restore`, { version: form.base.version }),
    (answer) => after(answer, (a) => `Restored version ${version}: it is now version ${a.version}.`),
  );
  const upload = (event) => {
    const file = event.currentTarget.files && event.currentTarget.files[0];
    if (!file) return;
    form.run(
      async () => api('PUT', '/portfolio/file', { version: form.base.version, text: await file.text() }),
      (answer) => after(answer, (a) => `Uploaded ${file.name} as version ${a.version} (${a.changed} change${a.changed === 1 ? '' : 's'}).`),
    );
    event.currentTarget.value = '';
  };

  if (!isAdmin) {
    return html`<section class="card"><h1>Business data</h1><p>The business data is for admins. <a href="#/sails">Go to the sails</a>.</p></section>`;
  }
  const current = form.base || base;
  const data = current ? current.document : null;
  const toggle = (id, isOpen) => setOpen((was) => (was[id] === isOpen ? was : { ...was, [id]: isOpen }));
  const others = data ? Object.keys(data).filter((name) => !GROUPED.has(name)) : [];
  return html`
    <section class="business-data">
      <h1>Business data</h1>
      <p class="hint">The figures every report is built from. Saving checks every field and keeps the version before; nothing is half saved.</p>
      <${ErrorNotice} error=${error} />
      ${data === null && !error ? html`<p class="loading">Loading…</p>` : null}
      ${data ? html`
        <p class="report-meta">Version ${current.version}${current.by ? ` · saved by ${current.by}` : ''}${current.at ? `, ${formatSpoken(current.at)}` : ''}</p>
        <div aria-live="polite">${saved ? html`<${Notice}>${saved}</${Notice}>` : null}</div>
        ${form.error && form.error.field && form.error.status !== 409 ? html`
          <p class="notice notice-error" role="alert">Not saved: ${form.error.message}</p>` : null}
        <form onSubmit=${(event) => { setSaved(null); return form.onSubmit(event); }} novalidate>
          ${GROUPS.map(([id, title, names]) => html`<${Group} key=${id} id=${id} title=${title} names=${names}
            document=${data} form=${form} open=${Boolean(open[id])} onToggle=${toggle} />`)}
          <${Group} id="other" title="Everything else" names=${others} document=${data} form=${form}
            open=${Boolean(open.other)} onToggle=${toggle} />
          <${ConflictNotice} form=${form} labels=${{ version: 'Version' }} />
          <${ErrorNotice} error=${form.notice} />
          <div class="actions bd-save">
            <button type="submit" class="primary" disabled=${form.busy}>${form.busy ? 'Saving…' : 'Save'}</button>
          </div>
        </form>
        <section class="card" aria-labelledby="bd-file-title">
          <h2 id="bd-file-title">The whole file</h2>
          <p>For many changes at once: download the file, edit it, upload it. It is checked the same way (a refusal names the line and the field).</p>
          <div class="actions">
            <a class="button" href="/api/portfolio/file" download>Download the file</a>
          </div>
          <div class="field">
            <label for="bd-upload">Upload a file (TOML or JSON)</label>
            <input id="bd-upload" type="file" accept=".toml,.json,text/plain,application/json" disabled=${form.busy} onChange=${upload} />
          </div>
        </section>
        <${Versions} current=${current.version} versions=${versions} compared=${compared}
          onCompare=${compare} onRestore=${restore} busy=${form.busy} />` : null}
    </section>`;
}
