// Placeholder until its issue lands: the waiver view.
import { html } from '../html.js';

export function Waiver() {
  return html`<section class="card"><h1>Waiver</h1><p>This page is not built yet.</p></section>`;
}
