// prepareEngineUpgrade on Typesense before the v30 jump: the logical copy with every satellite (no native copy
// without snapshotPath), verified and pinned; after the node is "upgraded" (a v30 emulator), the restore plan
// lists the v29→v30 conversions and the restore brings the data and the synonyms back as v30 sets.
import { Client } from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTypesenseEmulator, type TypesenseEmulator } from '../emulators/typesense/server.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

describe('prepareEngineUpgrade on Typesense (v29 → v30)', () => {
  let t: TestGateway;
  let v29: TypesenseEmulator;
  let v30: TypesenseEmulator;

  beforeAll(async () => {
    [v29, v30] = await Promise.all([startTypesenseEmulator({ version: '29.0' }), startTypesenseEmulator({ version: '30.0' })]);
    const sdk = new Client({ nodes: [{ url: v29.url }], apiKey: v29.apiKey, numRetries: 0, logLevel: 'silent' });
    await sdk.collections().create({ name: 'books', fields: [{ name: 'title', type: 'string' }] } as never);
    await sdk
      .collections('books')
      .documents()
      .import(
        [
          { id: '1', title: 'Dune' },
          { id: '2', title: 'Emma' },
        ] as never,
        { action: 'create' },
      );
    await sdk
      .collections('books')
      .synonyms()
      .upsert('sci', { synonyms: ['scifi', 'science fiction'] } as never);
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([v29?.close(), v30?.close()]);
  });

  const register = async (name: string, emulator: TypesenseEmulator): Promise<string> => {
    const res = await t.gql(`mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id } }`, {
      i: { name, plugin: 'typesense', config: { url: emulator.url, apiKey: emulator.apiKey } },
    });
    expect(res.errors).toBeUndefined();
    return res.data!.registerEngine.id;
  };

  it('takes the logical copy with its satellites, and the plan into v30 shows the conversions', async () => {
    const source = await register('ts29', v29);
    const prepared = await t.gql(
      `mutation($e: ID!) { prepareEngineUpgrade(engineId: $e, targetVersion: "30.0") {
        from to label notes copies { strategy restoresInto backup { id status pinned verifiedAt labels } } } }`,
      { e: source },
    );
    expect(prepared.errors).toBeUndefined();
    const preparation = prepared.data!.prepareEngineUpgrade;
    expect(preparation).toMatchObject({ from: '29.0', to: '30.0', label: 'pre-upgrade:29.0→30.0' });
    expect(preparation.notes).toEqual(expect.arrayContaining(['no native copy: no snapshotPath configured for snapshots']));
    expect(preparation.copies).toHaveLength(1);
    const [copy] = preparation.copies;
    expect(copy).toMatchObject({ strategy: 'LOGICAL', backup: { status: 'COMPLETE', pinned: true, labels: { 'pre-upgrade': '29.0→30.0' } } });
    expect(copy.backup.verifiedAt).not.toBeNull();
    expect(copy.restoresInto).toContain('v29→v30');

    const target = await register('ts30', v30);
    const plan = await t.gql(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { verdict conversions sourceEngineVersion targetEngineVersion } }`, {
      i: { backupId: copy.backup.id, engineId: target },
    });
    expect(plan.errors).toBeUndefined();
    expect(plan.data!.planRestore).toMatchObject({ sourceEngineVersion: '29.0', targetEngineVersion: '30.0' });
    expect(plan.data!.planRestore.conversions.join('\n')).toMatch(/synonym/i);

    const restore = await t.gql(`mutation($i: StartRestoreInput!) { startRestore(input: $i) { id } }`, { i: { backupId: copy.backup.id, engineId: target } });
    expect(restore.errors).toBeUndefined();
    const job = await waitForJob(t, restore.data!.startRestore.id);
    expect(job.status, JSON.stringify(job.error)).toBe('SUCCEEDED');
    const sdk30 = new Client({ nodes: [{ url: v30.url }], apiKey: v30.apiKey, numRetries: 0, logLevel: 'silent' });
    expect((await sdk30.collections('books').retrieve()).num_documents).toBe(2);
  });
});
