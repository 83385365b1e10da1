// Shared steps of the fault tests: run a job through GraphQL and time how it ends.
import { expect } from 'vitest';
import { waitForJob, type TestGateway } from '../helpers/gateway.ts';

export interface EndedJob {
  status: string;
  error: { code: string; message: string; type: string } | null;
  /** From the start mutation to the job's end, as the test saw it. */
  elapsedMs: number;
  backupId: string | null;
}

export async function backupAndWait(t: TestGateway, input: Record<string, unknown>): Promise<EndedJob> {
  return startAndWait(t, `mutation($i: StartBackupInput!) { startBackup(input: $i) { id backup { id } } }`, input, 'startBackup');
}

export async function restoreAndWait(t: TestGateway, input: Record<string, unknown>): Promise<EndedJob> {
  return startAndWait(t, `mutation($i: StartRestoreInput!) { startRestore(input: $i) { id backup { id } } }`, input, 'startRestore');
}

async function startAndWait(t: TestGateway, mutation: string, input: Record<string, unknown>, field: string): Promise<EndedJob> {
  const started = Date.now();
  const res = await t.gql(mutation, { i: input });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  const job = await waitForJob(t, res.data![field].id, 60_000);
  return { status: job.status, error: job.error, elapsedMs: Date.now() - started, backupId: res.data![field].backup?.id ?? null };
}
