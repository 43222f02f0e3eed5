// Placeholder until its issue lands.
export function GuestManifest() {
  return null;
}
