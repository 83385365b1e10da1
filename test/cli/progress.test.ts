// The terminal progress bar: redrawn in place on a TTY, an honest moving block when the total is unknown,
// an ETA only once a rate has been seen.
import { describe, expect, it } from 'vitest';
import { EtaEstimator, ProgressRenderer, type JobView } from '../../src/cli/follow.ts';

function job(status: string, progress: Partial<JobView['progress']>): JobView {
  return {
    id: 'j1',
    kind: 'BACKUP',
    status,
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: null,
    finishedAt: null,
    createdBy: 'master',
    engine: null,
    backup: null,
    error: null,
    progress: { phase: 'documents', completed: 0, total: null, unit: 'documents', percent: null, bytes: null, message: null, ...progress },
  };
}

describe('terminal progress', () => {
  it('redraws one line on a TTY, with an indeterminate block while the total is unknown', async () => {
    let out = '';
    const renderer = new ProgressRenderer({ write: (s: string) => (out += s), isTTY: true });
    renderer.update(job('RUNNING', { completed: 120 }));
    expect(out).toMatch(/^\r\x1b\[K\[ *#{6} *\] {4}\? {4}RUNNING {2}documents {2}120 documents$/);
    await new Promise((resolve) => setTimeout(resolve, 110));
    renderer.update(job('RUNNING', { completed: 500, total: 1000, percent: 50, bytes: 2048 }));
    expect(out).toContain('\r\x1b[K[###############---------------]  50.0%  RUNNING  documents  500/1,000 documents  2.0 KiB');
    renderer.finish(job('SUCCEEDED', { phase: 'done', completed: 1000, total: 1000, percent: 100 }));
    expect(out.endsWith('[##############################] 100.0%  SUCCEEDED  done  1,000/1,000 documents\n')).toBe(true);
  });

  it('estimates the time left from the observed rate, and not before it can', () => {
    const eta = new EtaEstimator();
    expect(eta.estimate(0, 1000, 0)).toBeNull();
    expect(eta.estimate(100, 1000, 200)).toBeNull(); // under half a second of samples
    expect(eta.estimate(500, 1000, 1000)).toBe(1000); // 500 per second, 500 left
    expect(eta.estimate(600, null, 1200)).toBeNull(); // no total: no ETA
    expect(eta.estimate(1000, 1000, 2000)).toBe(0);
  });
});
