// Placeholder until its issue lands: the sails view.
import { html } from '../html.js';

export function SailsList() {
  return html`<section class="card"><h1>Sails</h1><p>This page is not built yet.</p></section>`;
}
