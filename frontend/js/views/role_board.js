// Placeholder until its issue lands.
export function RoleBoard() {
  return null;
}
