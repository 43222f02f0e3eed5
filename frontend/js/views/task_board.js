// Placeholder until its issue lands: the board view.
import { html } from '../html.js';

export function TaskBoard() {
  return html`<section class="card"><h1>Board</h1><p>This page is not built yet.</p></section>`;
}
