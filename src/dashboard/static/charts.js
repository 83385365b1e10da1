// Plain SVG charts (no library, nothing inline for the CSP to refuse): bars over time with a title per bar, and a
// stacked day-by-day timeline. Colours come from classes in app.css.
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 320;
const H = 120;
const PAD = { left: 44, right: 6, top: 8, bottom: 18 };

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs ?? {})) if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  for (const child of children) if (child !== null && child !== undefined) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

const shortDate = (d) => d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });

/**
 * Bars over time, oldest left. points: [{ at: Date, value: number|null, title }]; a null value leaves a gap.
 * `format` writes the axis maximum and each bar's tooltip.
 */
export function barChart({ title, points, cls, format, testid }) {
  const values = points.map((p) => p.value ?? 0);
  const max = Math.max(1, ...values);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  // At least 12 slots: a lone backup is a bar, not a wall.
  const step = plotW / Math.max(points.length, 12);
  const bars = points.map((p, i) => {
    const height = p.value === null ? 0 : Math.max(1, (p.value / max) * plotH);
    return s(
      'rect',
      { class: cls, x: (PAD.left + i * step + step * 0.15).toFixed(1), y: (PAD.top + plotH - height).toFixed(1), width: Math.max(1, step * 0.7).toFixed(1), height: height.toFixed(1) },
      s('title', null, `${p.title}: ${p.value === null ? 'unknown' : format(p.value)}`),
    );
  });
  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}, ${points.length} backups` },
    s('line', { class: 'axis', x1: PAD.left, y1: PAD.top + plotH, x2: W - PAD.right, y2: PAD.top + plotH }),
    s('text', { class: 'label', x: PAD.left - 4, y: PAD.top + 8, 'text-anchor': 'end' }, format(max)),
    s('text', { class: 'label', x: PAD.left - 4, y: PAD.top + plotH, 'text-anchor': 'end' }, '0'),
    points.length > 0 ? s('text', { class: 'label', x: PAD.left, y: H - 4 }, shortDate(points[0].at)) : null,
    points.length > 1 ? s('text', { class: 'label', x: W - PAD.right, y: H - 4, 'text-anchor': 'end' }, shortDate(points.at(-1).at)) : null,
    ...bars,
  );
  return h('figure', { class: 'chart', dataset: { testid: testid ?? 'chart' } }, h('h3', null, title), points.length === 0 ? h('p', { class: 'muted' }, 'No backups yet.') : svg);
}

/** Jobs per day for the last `days` days, stacked by outcome: succeeded, failed, canceled, other (running, queued). */
export function jobTimeline(jobs, days = 30, now = new Date()) {
  const start = new Date(now);
  start.setHours(0, 0, 0, 0);
  start.setDate(start.getDate() - (days - 1));
  const buckets = Array.from({ length: days }, () => ({ SUCCEEDED: 0, FAILED: 0, CANCELED: 0, other: 0, kinds: {} }));
  for (const job of jobs) {
    const index = Math.floor((new Date(job.createdAt) - start) / 86_400_000);
    if (index < 0 || index >= days) continue;
    const bucket = buckets[index];
    const key = ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status) ? job.status : 'other';
    bucket[key]++;
    bucket.kinds[job.kind] = (bucket.kinds[job.kind] ?? 0) + 1;
  }
  const max = Math.max(1, ...buckets.map((b) => b.SUCCEEDED + b.FAILED + b.CANCELED + b.other));
  const width = 640;
  const plotW = width - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / days;
  const rects = [];
  buckets.forEach((bucket, i) => {
    let y = PAD.top + plotH;
    const day = new Date(start.getTime() + i * 86_400_000);
    const kinds = Object.entries(bucket.kinds).map(([k, n]) => `${n} ${k.toLowerCase()}`).join(', ');
    for (const key of ['SUCCEEDED', 'FAILED', 'CANCELED', 'other']) {
      if (bucket[key] === 0) continue;
      const height = (bucket[key] / max) * plotH;
      y -= height;
      rects.push(
        s(
          'rect',
          { class: `tl-${key}`, x: (PAD.left + i * step + 1).toFixed(1), y: y.toFixed(1), width: Math.max(1, step - 2).toFixed(1), height: height.toFixed(1), 'data-day': day.toISOString().slice(0, 10) },
          s('title', null, `${shortDate(day)}: ${bucket[key]} ${key === 'other' ? 'running or queued' : key.toLowerCase()} (${kinds})`),
        ),
      );
    }
  });
  const total = buckets.reduce((n, b) => n + b.SUCCEEDED + b.FAILED + b.CANCELED + b.other, 0);
  const failed = buckets.reduce((n, b) => n + b.FAILED, 0);
  const svg = s(
    'svg',
    { viewBox: `0 0 ${width} ${H}`, role: 'img', 'aria-label': `Jobs per day, last ${days} days: ${total} jobs, ${failed} failed` },
    s('line', { class: 'axis', x1: PAD.left, y1: PAD.top + plotH, x2: width - PAD.right, y2: PAD.top + plotH }),
    s('text', { class: 'label', x: PAD.left - 4, y: PAD.top + 8, 'text-anchor': 'end' }, String(max)),
    s('text', { class: 'label', x: PAD.left, y: H - 4 }, shortDate(start)),
    s('text', { class: 'label', x: width - PAD.right, y: H - 4, 'text-anchor': 'end' }, shortDate(now)),
    ...rects,
  );
  return h(
    'figure',
    { class: 'chart wide', dataset: { testid: 'job-timeline' } },
    h('h3', null, `Jobs per day, last ${days} days (${total} jobs, ${failed} failed; green succeeded, red failed, grey canceled, blue running)`),
    svg,
  );
}
