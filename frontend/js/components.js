// The components module: everything views share. Views import from here (and html.js, api.js,
// router.js), never from another view; the pieces below import only from each other.
export * from './components/base.js';
export * from './components/timing_panel.js';
export * from './components/role_board.js';
export * from './components/guest_manifest.js';
export * from './components/guest_sail.js';
export * from './components/checklist_modal.js';
export * from './components/task_card.js';
export * from './components/task_detail.js';
export * from './components/history.js';
