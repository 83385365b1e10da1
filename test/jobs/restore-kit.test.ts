// The restore kit's names: staging copies carry the job id, can be read back, and are never live names.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compareVersions, isStagingName, livePhysicalName, majorOf, restoreItems, restoreJobOf, stagingName, stagingOf } from '../../src/engines/restore-kit.ts';

describe('restore kit', () => {
  it('makes staging and live-physical names that carry the job id and read back', () => {
    const jobId = randomUUID();
    const staging = stagingName(jobId, 'movies');
    expect(staging).toBe(`__gwstage_${jobId.replaceAll('-', '')}_movies`);
    expect(isStagingName(staging)).toBe(true);
    expect(restoreJobOf(staging)).toEqual({ jobId, kind: 'staging' });
    const live = livePhysicalName(jobId, 'movies');
    expect(live).toBe(`movies__gwlive_${jobId.replaceAll('-', '')}`);
    expect(isStagingName(live)).toBe(false);
    expect(restoreJobOf(live)).toEqual({ jobId, kind: 'live' });
    expect(restoreJobOf('movies')).toBeNull();
    expect(restoreJobOf('movies__restore_0a1b2c3d')).toBeNull();
    // Within the shortest engine limit (255), whatever the target's length.
    expect(stagingName(jobId, 'x'.repeat(400)).length).toBe(255);
    expect(livePhysicalName(jobId, 'x'.repeat(400))).toMatch(/^x+__gwlive_[0-9a-f]{32}$/);
    expect(livePhysicalName(jobId, 'x'.repeat(400)).length).toBe(255);
    expect(() => stagingName('not-a-job', 'movies')).toThrow();
  });

  it('takes the items from the plan, else from collections and rename; staging from the job id', () => {
    const jobId = randomUUID();
    const planned = restoreItems({
      collections: ['a', 'b'],
      rename: {},
      atomic: true,
      jobId,
      items: [
        { source: 'a', target: 'a2', action: 'CREATE', backupDocuments: 3, staging: stagingName(jobId, 'a2') },
        { source: 'b', target: 'b', action: 'SKIP', backupDocuments: 1, staging: null },
      ],
    });
    expect(planned.map((i) => i.target)).toEqual(['a2']);
    const request = { collections: ['a', 'b'], rename: { b: 'b_copy' }, atomic: true };
    expect(restoreItems(request).map((i) => [i.source, i.target])).toEqual([
      ['a', 'a'],
      ['b', 'b_copy'],
    ]);
    const first = stagingOf(request, { target: 'a' });
    expect(restoreJobOf(first)?.kind).toBe('staging');
    expect(stagingOf(request, { target: 'b_copy' })).toBe(first.replace(/_a$/, '_b_copy'));
  });

  it('compares versions', () => {
    expect(compareVersions('1.16.0', '1.5.2')).toBeGreaterThan(0);
    expect(compareVersions('v30.1', '29.0')).toBeGreaterThan(0);
    expect(compareVersions('0.22.2', '0.22.2')).toBe(0);
    expect(compareVersions(null, '1.0')).toBeNull();
    expect(majorOf('v2.10.1')).toBe(2);
  });
});
