// Placeholder until its issue lands: the new sail view.
import { html } from '../html.js';

export function NewSail() {
  return html`<section class="card"><h1>New sail</h1><p>This page is not built yet.</p></section>`;
}
