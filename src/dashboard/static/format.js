// Numbers as people read them; the ETA from the observed rate, null when it cannot honestly be told.

// Byte counts are the API's BigInt: a number, or a string of digits past 2^53.
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatCount(value) {
  return value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en-US');
}

export function formatDuration(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatTime(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  // With the time zone: "03:00" alone is ambiguous between the browser, the gateway and a schedule's zone.
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'long' });
}

export function shortId(id) {
  return id ? id.slice(0, 8) : '–';
}

/** Rate over the last ~30 s of samples. */
export class EtaEstimator {
  constructor(windowMs = 30000) {
    this.windowMs = windowMs;
    this.samples = [];
  }

  estimate(completed, total, now = Date.now()) {
    const previous = this.samples.at(-1);
    if (!previous || completed < previous.completed) this.samples = [];
    this.samples.push({ at: now, completed });
    while (this.samples.length > 2 && now - this.samples[0].at > this.windowMs) this.samples.shift();
    if (total === null || total === undefined) return null;
    if (completed >= total) return 0;
    const first = this.samples[0];
    const elapsed = now - first.at;
    const rate = (completed - first.completed) / elapsed;
    return rate > 0 && elapsed >= 500 ? (total - completed) / rate : null;
  }
}

/** "3 h 5 min ago" / "in 2 days": an age or a wait in words. */
export function formatAge(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.abs(seconds);
  const text = s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : s < 172800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86400).toFixed(1)} days`;
  return text;
}

/** A time in a given IANA zone, with the zone's name: schedule slots read in their own zone. */
export function formatTimeIn(iso, timeZone) {
  if (!iso) return '–';
  const options = { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
  try {
    return new Date(iso).toLocaleString(undefined, { ...options, timeZone });
  } catch {
    return new Date(iso).toLocaleString(undefined, options); // a zone this browser does not know: its own
  }
}
