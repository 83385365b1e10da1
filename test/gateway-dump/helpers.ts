// Whole-database comparisons for gateway dumps: every table, every row, every column, read generically.
import { spawn } from 'node:child_process';
import type { PrismaClient } from '../../src/db/client.ts';
import { looksSealed, tryOpen } from '../../src/gateway-dump/secrets.ts';
import { describeTables, quoteIdent } from '../../src/gateway-dump/tables.ts';
import type { SecretBox } from '../../src/secret-box.ts';
import { REPO_ROOT } from '../helpers/child-gateway.ts';

export type TableSnapshot = Record<string, Array<Record<string, unknown>>>;

/** Every row of every table (but the migrations'), ordered by primary key, sealed secrets opened with `box`. */
export async function snapshotDatabase(prisma: PrismaClient, box: SecretBox): Promise<TableSnapshot> {
  const snapshot: TableSnapshot = {};
  for (const table of await describeTables(prisma)) {
    const order = (table.primaryKey.length > 0 ? table.primaryKey : table.columns.map((c) => c.name)).map((c) => `t.${quoteIdent(c)}`).join(', ');
    const rows = await prisma.$queryRawUnsafe<Array<{ row: string }>>(`SELECT to_jsonb(t)::text AS row FROM ${quoteIdent(table.name)} t ORDER BY ${order}`);
    snapshot[table.name] = rows.map(({ row }) => {
      const parsed = JSON.parse(row) as Record<string, unknown>;
      for (const [key, value] of Object.entries(parsed)) {
        if (looksSealed(value)) {
          const opened = tryOpen(box, value);
          parsed[key] = opened ? { sealed: opened.value } : { sealedUnreadable: true };
        }
      }
      return parsed;
    });
  }
  return snapshot;
}

/** Runs the CLI to its exit (or until `until` matches its output, then stops it with SIGTERM). */
export function runBin(args: string[], env: Record<string, string>, until?: RegExp, timeoutMs = 60_000): Promise<{ code: number | null; output: string; matched: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/backup-gateway.js', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', GATEWAY_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let matched = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`backup-gateway ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (until && !matched && until.test(output)) {
        matched = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, matched });
    });
  });
}
