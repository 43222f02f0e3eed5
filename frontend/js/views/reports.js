// Placeholder until its issue lands: the reports view.
import { html } from '../html.js';

export function Reports() {
  return html`<section class="card"><h1>Reports</h1><p>This page is not built yet.</p></section>`;
}
