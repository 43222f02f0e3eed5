// Hash router: '#/sails/abc?x=1' -> { path: '/sails/abc', params: { id: 'abc' }, query: { x: '1' } }.

export function parseHash(hash = window.location.hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(search)) };
}

// routes: [[pattern, view], ...] with patterns like '/sails/:id'.
export function match(routes, path) {
  for (const [pattern, view] of routes) {
    const names = [];
    const source = pattern.replace(/:([a-z_]+)/g, (_, name) => { names.push(name); return '([^/]+)'; });
    const found = new RegExp(`^${source}$`).exec(path);
    if (found) {
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
      return { view, params };
    }
  }
  return null;
}

export function go(hash) {
  window.location.hash = hash;
}
