// generations.ts: telling the three milvus-backup generations apart by how they answer (the emulator of each),
// and the verdicts on a backup's format against a target server.
import { describe, expect, it, onTestFinished } from 'vitest';
import { GENERATIONS, startMilvusBackupEmulator } from '../../test/emulators/milvus-backup/server.ts';
import { MilvusBackupClient } from './client.ts';
import { listServerBackups } from './inventory.ts';
import { detectServer, formatFields, formatOf, formatRefusals, milvusHasSnapshots, type ServerFacts } from './generations.ts';

const signal = () => AbortSignal.timeout(5000);

describe('milvus-backup generations', () => {
  it('detects each generation and the Milvus version it runs against', async () => {
    const expected = { 'v0.5.9': 'v0.5.9', 'v0.5.16': 'v0.5.10+', 'v0.6.0': 'v0.6' } as const;
    for (const generation of GENERATIONS) {
      const emulator = await startMilvusBackupEmulator({ generation, milvusVersion: 'v2.5.4' });
      onTestFinished(() => emulator.close());
      const client = new MilvusBackupClient({ url: emulator.url, timeoutMs: 5000 });
      expect(await detectServer(client, signal())).toEqual({ tool: expected[generation], milvusVersion: 'v2.5.4' });
    }
  });

  it('catalog sync names the snapshot format where v0.6 tells it (backups its process made), else leaves it unknown', async () => {
    const emulator = await startMilvusBackupEmulator({ generation: 'v0.6.0' });
    onTestFinished(() => emulator.close());
    await fetch(`${emulator.url}/api/v1/create`, { method: 'POST', body: JSON.stringify({ backup_name: 'served', async: false }) });
    emulator.backups.create('from_cli', undefined, 'snapshot');
    const client = new MilvusBackupClient({ url: emulator.url, timeoutMs: 5000 });
    const found = await listServerBackups(client, signal());
    expect(Object.fromEntries(found.map((b) => [b.name, b.engineFormat]))).toEqual({ served: 'snapshot', from_cli: null });
  });

  it('reads the Snapshot feature from the Milvus version as milvus-backup does (>= 3.0.0, unparsable = dev build)', () => {
    expect(['v2.4.23', 'v2.5.4', 'v2.6.11', 'v3.0.0', 'v3.0.1', 'master-20260226-abcdef', 'Zilliz Cloud (Compatible with Milvus 2.6.3)'].map(milvusHasSnapshots)).toEqual([
      false,
      false,
      false,
      true,
      true,
      true,
      false,
    ]);
    expect(milvusHasSnapshots(null)).toBeNull();
  });

  it('sends `format` to v0.6 only, and refuses snapshot from a v0.5 tool', () => {
    expect(formatFields('v0.6', 'auto')).toEqual({});
    expect(formatFields('v0.6', 'snapshot')).toEqual({ format: 'snapshot' });
    expect(formatFields('v0.5.10+', 'binlog')).toEqual({});
    expect(() => formatFields('v0.5.9', 'snapshot')).toThrow(/cannot write snapshot-format/);
  });

  it('names the format of a finished backup, predicting auto when the answer lost it', () => {
    const state = { id: 'r', name: 'b', state: 2, progress: 100, errorMessage: null, startedAt: null, bytes: 1, milvusVersion: 'v3.0.1', format: null, collections: null };
    const v06: ServerFacts = { tool: 'v0.6', milvusVersion: 'v3.0.1' };
    expect(formatOf(v06, { ...state, format: 'snapshot' }, 'auto')).toBe('snapshot');
    expect(formatOf(v06, { ...state, collections: [] }, 'auto')).toBe('binlog');
    expect(formatOf(v06, state, 'auto')).toBe('snapshot');
    expect(formatOf(v06, state, 'binlog')).toBe('binlog');
    expect(formatOf({ tool: 'v0.5.10+', milvusVersion: 'v3.0.1' }, state, 'auto')).toBe('binlog');
  });

  it('refuses snapshot-format restores into pre-3.0 Milvus or through a v0.5 tool; warns when the format is unknown', () => {
    const snapshot = { format: 'snapshot', milvusVersion: 'v3.0.1' };
    expect(formatRefusals(snapshot, { tool: 'v0.6', milvusVersion: 'v3.0.1' })).toEqual({ refusals: [], warnings: [] });
    expect(formatRefusals(snapshot, { tool: 'v0.6', milvusVersion: 'v2.5.4' }).refusals).toEqual([expect.stringMatching(/Milvus 3.0 or newer.*v2.5.4/)]);
    expect(formatRefusals(snapshot, { tool: 'v0.5.10+', milvusVersion: 'v3.0.1' }).refusals).toEqual([expect.stringMatching(/v0.5.10\+ cannot read it/)]);
    expect(formatRefusals(snapshot, { tool: 'v0.6', milvusVersion: null }).warnings).toHaveLength(1);
    expect(formatRefusals({ format: 'binlog', milvusVersion: 'v3.0.1' }, { tool: 'v0.5.9', milvusVersion: 'v2.4.5' })).toEqual({ refusals: [], warnings: [] });
    const unknown = formatRefusals({ format: null, milvusVersion: 'v3.0.1' }, { tool: 'v0.6', milvusVersion: 'v2.5.4' });
    expect(unknown).toEqual({ refusals: [], warnings: [expect.stringMatching(/format is not recorded/)] });
  });
});
