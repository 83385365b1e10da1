// The README's walk-through ("Try it without an engine"), followed literally: every command line of its `sh` blocks
// runs through bash as written — `npm run seed`, `npm start`, the CLI lines, the SSE `curl`, the stats `curl` — with
// only the ports (an in-process Meilisearch emulator, the gateway on a free port) and the placeholders (<job id>,
// <backup id>) filled in, as a reader would. Its GraphQL block validates against the schema. A README edit that
// breaks a step fails here.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema/index.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { REPO_ROOT, spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts';

const run = promisify(execFile);
const DOCUMENTS = 3000;
const README_MEILISEARCH = 'http://127.0.0.1:7700';
const README_GATEWAY = 'http://127.0.0.1:4000';

/** The walk-through section of the README: from its heading to the next `## `. */
async function walkThrough(): Promise<string> {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Try it without an engine');
  expect(start, 'README section "Try it without an engine"').toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The code blocks of one language in a Markdown text. */
const blocks = (markdown: string, language: string): string[] => [...markdown.matchAll(new RegExp('^```' + language + '\\n([\\s\\S]*?)^```', 'gm'))].map((m) => m[1]!);

/** Command lines of `sh` blocks: continuation lines joined, comment lines and trailing `  # …` comments dropped. */
function commandLines(sh: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of sh.split('\n')) {
    if (pending === '' && (raw.trim() === '' || raw.trim().startsWith('#'))) continue;
    const line = pending + raw.trim();
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1).trimEnd() + ' ';
      continue;
    }
    pending = '';
    lines.push(line.replace(/\s{2,}#.*$/, ''));
  }
  return lines;
}

/** What the command printed, without the `> backup-gateway@… cli` lines `npm run` (without --silent) prints first. */
const withoutNpmBanner = (stdout: string): string =>
  stdout
    .split('\n')
    .filter((line) => !line.startsWith('> '))
    .join('\n')
    .trim();

describe('the README walk-through, followed literally', () => {
  let tmp: string;
  let emulator: MeilisearchEmulator;
  let gateway: ChildGateway | undefined;
  let commands: string[];
  const filled = new Map<string, string>();

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'gw-walkthrough-'));
    emulator = await startMeilisearchEmulator();
    commands = blocks(await walkThrough(), 'sh').flatMap(commandLines);
  });
  afterAll(async () => {
    await gateway?.kill('SIGTERM');
    await emulator?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** One README line through bash, with ports and placeholders filled in. */
  const shell = async (line: string): Promise<{ stdout: string; stderr: string }> => {
    let command = line.replaceAll(README_MEILISEARCH, emulator.url).replaceAll(README_GATEWAY, gateway?.url ?? README_GATEWAY);
    for (const [placeholder, value] of filled) command = command.replaceAll(placeholder, value);
    expect(command, `an unfilled placeholder in: ${line}`).not.toMatch(/<[a-z ]+>/);
    try {
      return await run('bash', ['-c', command], {
        cwd: REPO_ROOT,
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          GATEWAY_URL: gateway?.url ?? '',
          GATEWAY_API_KEY: '',
          SEED_ENGINES: 'meilisearch',
          SEED_DOCUMENTS: String(DOCUMENTS),
          MEILISEARCH_URL: emulator.url,
        },
      });
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      throw new Error(`README line failed (exit ${failed.code}): ${line}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`, { cause: error });
    }
  };

  /** The README lines, in order, that start with `prefix`; at least one. */
  const linesStarting = (prefix: string): string[] => {
    const found = commands.filter((line) => line.startsWith(prefix));
    expect(found, `README lines starting with "${prefix}"`).not.toEqual([]);
    return found;
  };

  it('names the steps in order: emulators, seed, start, then the CLI and curl lines', () => {
    expect(commands.slice(0, 3)).toEqual(['npm run emulators', 'npm run seed', 'npm start']);
    expect(commands.slice(3).every((line) => line.startsWith('npm run cli -- ') || line.startsWith('curl '))).toBe(true);
  });

  it('seeds the emulator, starts the gateway, backs up, follows, lists and restores as written', async () => {
    // 1. `npm run emulators` is the in-process emulator here (the README's ports may be taken on a shared machine).
    // 2. Seed.
    const seeded = await shell(linesStarting('npm run seed')[0]!);
    expect(seeded.stdout).toContain(`movies: ${DOCUMENTS.toLocaleString('en-US')}/${DOCUMENTS.toLocaleString('en-US')} documents`);
    // 3. `npm start`: open mode on loopback, a fresh data directory.
    expect(commands).toContain('npm start');
    gateway = await spawnGateway({ GATEWAY_DATA_DIR: path.join(tmp, 'data'), NODE_OPTIONS: '' }, ['npm', 'start', '--silent']);

    // 4. The CLI and curl lines in README order; the backup is slowed so the SSE stream sees it run.
    emulator.setOptions({ documentsDelayMs: 20 });
    const rest = commands.slice(3);
    let sse = '';
    for (const line of rest) {
      const { stdout } = await shell(line);
      if (line.includes(' backup create ')) {
        const job = JSON.parse(withoutNpmBanner(stdout)) as { id: string };
        filled.set('<job id>', job.id);
      } else if (line.includes('text/event-stream')) {
        sse = stdout;
        emulator.setOptions({ documentsDelayMs: 0 });
      } else if (line.endsWith(' backup list')) {
        const [header, first] = withoutNpmBanner(stdout).trim().split('\n');
        expect(header).toMatch(/^ID\s+NAME\s+ENGINE/);
        filled.set('<backup id>', first!.split(/\s+/)[0]!);
      } else if (line.includes(' restore ')) {
        expect(stdout).toMatch(/Restore job \S+ SUCCEEDED/);
      } else if (line.includes('/indexes/movies_restored/stats')) {
        expect(JSON.parse(stdout)).toMatchObject({ numberOfDocuments: DOCUMENTS });
      }
    }
    expect(filled.has('<job id>') && filled.has('<backup id>')).toBe(true);
    // The SSE stream: events with the job's progress, the last one SUCCEEDED, then `complete`.
    const events = [...sse.matchAll(/^event: next\ndata: (.*)$/gm)].map((m) => (JSON.parse(m[1]!) as { data: { jobUpdated: { status: string } } }).data.jobUpdated);
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1)!.status).toBe('SUCCEEDED');
    expect(sse).toMatch(/^event: complete$/m);
    expect(rest.filter((line) => line.includes('/indexes/movies_restored/stats'))).toHaveLength(1);

    // The dashboard the section points to.
    expect((await fetch(`${gateway.url}/`)).status).toBe(200);
  }, 300_000);

  it('its GraphQL operations are valid against the schema', async () => {
    const operations = blocks(await walkThrough(), 'graphql')
      .flatMap((block) => block.split('\n'))
      .filter((line) => line.trim() !== '');
    expect(operations.length).toBeGreaterThanOrEqual(5);
    for (const operation of operations) expect(validate(schema, parse(operation.replace(/<[a-z ]+>/g, 'x'))), operation).toEqual([]);
  });
});
