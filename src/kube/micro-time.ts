/**
 * Formats a time as a Kubernetes MicroTime (RFC 3339 with exactly 6 fractional digits).
 * The apiserver rejects the 3 digits of `Date.toISOString()` for Event `eventTime` and Lease `renewTime`.
 */
export function microTime(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, -1)}000Z`;
}
