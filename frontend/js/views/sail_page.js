// Placeholder until its issue lands: the sail view.
import { html } from '../html.js';

export function SailPage() {
  return html`<section class="card"><h1>Sail</h1><p>This page is not built yet.</p></section>`;
}
