// Placeholder until its issue lands.
export function Manifest() {
  return null;
}
