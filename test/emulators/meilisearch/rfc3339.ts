// Timestamps as Meilisearch prints them: the `time` crate's RFC 3339 format, which writes the
// sub-second part only when it is not zero and drops its trailing zeros ("2050-11-13T00:00:00Z",
// "2024-05-02T09:14:03.52Z"), where JavaScript's toISOString always writes milliseconds.

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
}

export function rfc3339OrNull(date: Date | null | undefined): string | null {
  return date ? rfc3339(date) : null;
}
