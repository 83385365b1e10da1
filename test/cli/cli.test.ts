// Acceptance of the `backup-gateway` CLI against a gateway on a real port and the Meilisearch emulator:
// the bin shim as a child process for exit codes, the rest in-process through runCli.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import packageJson from '../../package.json' with { type: 'json' };
import { COMMANDS, runCli } from '../../src/cli/run.ts';
import { meilisearchVersionFromEnv } from '../emulators/meilisearch/versions.ts';

/** The emulated Meilisearch version, as a pattern. */
const VERSION = meilisearchVersionFromEnv().replaceAll('.', '\\.');
import { startServer, type RunningServer } from '../../src/server.ts';
import { startMeilisearchEmulator, type MeilisearchEmulator } from '../emulators/meilisearch/server.ts';
import { REPO_ROOT } from '../helpers/child-gateway.ts';
import { startTestGateway, waitForJob, type TestGateway } from '../helpers/gateway.ts';

const MASTER_KEY = 'cli-master-key-0123456789';
const MEILI_KEY = 'cli-meili-key-0123456789';
const BIN = path.join(REPO_ROOT, 'bin', 'backup-gateway.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('backup-gateway CLI', () => {
  let emulator: MeilisearchEmulator;
  let meili: Meilisearch;
  let t: TestGateway;
  let server: RunningServer;
  let dumpsDir: string;
  let backupId: string;

  /** In-process, with the gateway's URL and key in the environment the CLI sees. */
  const cli = async (args: string[], env: Record<string, string | undefined> = {}): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { GATEWAY_URL: server.url, GATEWAY_API_KEY: MASTER_KEY, ...env },
    });
    return { code, stdout, stderr };
  };

  /** The real command: `node bin/backup-gateway.js …`, as `npm link` would install it. */
  const bin = (args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, GATEWAY_URL: server.url, GATEWAY_API_KEY: MASTER_KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  beforeAll(async () => {
    emulator = await startMeilisearchEmulator({ masterKey: MEILI_KEY });
    meili = new Meilisearch({ host: emulator.url, apiKey: MEILI_KEY });
    for (const [uid, count] of [
      ['movies', 2000],
      ['books', 600],
    ] as const) {
      await meili
        .index(uid)
        .addDocuments(
          Array.from({ length: count }, (_, i) => ({ id: i, title: `${uid} ${i}` })),
          { primaryKey: 'id' },
        )
        .waitTask();
    }
    dumpsDir = await mkdtemp(path.join(os.tmpdir(), 'gw-cli-dumps-'));
    t = await startTestGateway({ masterKey: MASTER_KEY, env: { GATEWAY_DUMPS_DIR: dumpsDir } });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
    await t?.close();
    await emulator?.close();
    if (dumpsDir) await rm(dumpsDir, { recursive: true, force: true });
  });

  it('has --help on every command and group; bad usage exits 2', async () => {
    for (const command of COMMANDS) {
      const run = await cli([...command.words, '--help']);
      expect(run.code, command.words.join(' ')).toBe(0);
      expect(run.stdout).toContain(`Usage: backup-gateway ${command.words.join(' ')}`);
      expect(run.stdout).toContain('--json');
    }
    for (const group of ['engines', 'backup', 'jobs', 'keys', 'dump']) {
      const run = await cli([group, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Usage: backup-gateway ${group} [options] [command]`);
    }
    const main = await bin(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/Usage: backup-gateway \[options\] \[command\][\s\S]*serve[\s\S]*restore/);
    expect((await cli(['backup', 'create', '--bogus'])).code).toBe(2);
    const missing = await cli(['backup', 'create']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--engine is required');
    expect((await cli(['nonsense'])).code).toBe(2);
  });

  it('registers and lists engines, by name', async () => {
    const added = await cli(['engines', 'add', 'meili', '--plugin', 'meilisearch', '--set', `url=${emulator.url}`, '--set', `apiKey=${MEILI_KEY}`, '--set', 'pageSize=100']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(new RegExp(`Registered engine meili .*health: ok, version ${VERSION}`));
    const listed = await cli(['engines', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`meili\\s+meilisearch\\s+ok\\s+${VERSION}\\s+books \\(600\\), movies \\(2,000\\)`));
    const json = JSON.parse((await cli(['engines', 'list', '--json'])).stdout) as Array<{ name: string; config: { apiKey: string }; collections: unknown[] }>;
    expect(json[0]).toMatchObject({ name: 'meili', config: { apiKey: '[redacted]' } });
    expect(json[0]!.collections).toHaveLength(2);
  });

  it('backup create --wait prints progress and exits 0 (the bin, as a child process)', async () => {
    emulator.setOptions({ documentsDelayMs: 20 });
    const run = await bin(['backup', 'create', '--engine', 'meili', '--name', 'cli-nightly', '--label', 'env=test', '--wait']);
    emulator.setOptions({ documentsDelayMs: 0 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Backup job \S+ SUCCEEDED \(backup (\S+)\)\n$/);
    backupId = /\(backup (\S+)\)/.exec(run.stdout)![1]!;
    // Piped: one line per step, with a bar, the phase and the counts; the last one complete.
    const lines = run.stderr.trim().split('\n');
    expect(
      lines.some((l) => /\[#+-+\]\s+\d+\.\d%\s+RUNNING\s+documents\s+[\d,]+\/2,600 documents/.test(l)),
      run.stderr,
    ).toBe(true);
    expect(lines.at(-1)).toMatch(/^\[#{30}\] 100\.0%\s+SUCCEEDED/);
    const got = JSON.parse((await cli(['backup', 'get', backupId, '--json'])).stdout) as { status: string; documentCount: number; labels: object };
    expect(got).toMatchObject({ status: 'COMPLETE', documentCount: 2600, labels: { env: 'test' } });
  });

  it('a failing job exits non-zero with its code', async () => {
    const run = await bin(['backup', 'create', '--engine', 'meili', '--collections', 'nope', '--wait']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Backup job \S+ FAILED/);
    expect(run.stderr).toMatch(/Error \[collection_not_found\]: .*nope/);
    // --json: stdout is the job, still parseable, and the exit code still says it failed.
    const json = await cli(['backup', 'create', '--engine', 'meili', '--collections', 'nope', '--wait', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'FAILED', error: { code: 'collection_not_found' } });
  });

  it('--json output parses, errors included', async () => {
    for (const args of [
      ['backup', 'list'],
      ['jobs', 'list'],
      ['keys', 'list'],
      ['jobs', 'list', '--status', 'failed', '--kind', 'backup'],
    ]) {
      const run = await cli([...args, '--json']);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      expect(() => JSON.parse(run.stdout)).not.toThrow();
    }
    const failed = JSON.parse((await cli(['jobs', 'list', '--status', 'failed', '--json'])).stdout) as { nodes: Array<{ error: { code: string } }> };
    expect(failed.nodes.length).toBeGreaterThanOrEqual(2);
    expect(failed.nodes.every((j) => j.error.code === 'collection_not_found')).toBe(true);

    const denied = await cli(['backup', 'list', '--json'], { GATEWAY_API_KEY: '' });
    expect(denied.code).toBe(4);
    expect(JSON.parse(denied.stdout)).toEqual({ error: { code: 'missing_authorization_header', type: 'auth', message: expect.any(String) } });
    const unknown = await cli(['backup', 'get', '00000000-0000-4000-8000-000000000000', '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe('backup_not_found');
    const unreachable = await cli(['engines', 'list'], { GATEWAY_URL: 'http://127.0.0.1:9' });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('Error [gateway_unreachable]');
  });

  it('prints the restore plan with --dry-run and restores nothing; an unasked overwrite is refused', async () => {
    const jobsBefore = (await t.gql(`query { jobs(kind: [RESTORE]) { totalCount } }`)).data!.jobs.totalCount;
    const refused = await cli(['restore', backupId, '--engine', 'meili', '--dry-run']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/SOURCE\s+TARGET\s+ACTION\s+LIVE DOCS\s+BACKUP DOCS/);
    expect(refused.stdout).toMatch(/books\s+books\s+REPLACE\s+600\s+600/);
    expect(refused.stdout).toContain('refused (target_exists)');
    expect(refused.stdout).toContain('--overwrite');
    const fresh = await cli(['restore', backupId, '--collections', 'books', '--suffix', '_new', '--dry-run', '--json']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ verdict: 'OK', collections: [{ source: 'books', target: 'books_new', action: 'CREATE', backupDocuments: 600 }] });
    const started = await cli(['restore', backupId, '--collections', 'books']);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain('target_exists');
    expect((await t.gql(`query { jobs(kind: [RESTORE]) { totalCount } }`)).data!.jobs.totalCount).toBe(jobsBefore);
  });

  it('takes global flags anywhere on the line; -o table|json|yaml', async () => {
    const before = await cli(['--json', '--url', server.url, 'backup', 'list'], { GATEWAY_URL: 'http://127.0.0.1:9' });
    expect(before.code, before.stderr).toBe(0);
    const after = await cli(['backup', 'list', '--url', server.url, '--api-key', MASTER_KEY, '--json'], { GATEWAY_URL: 'http://127.0.0.1:9', GATEWAY_API_KEY: '' });
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual(JSON.parse(before.stdout));
    const json = JSON.parse((await cli(['-o', 'json', 'backup', 'get', 'cli-nightly'])).stdout) as { id: string; name: string };
    expect(json).toMatchObject({ id: backupId, name: 'cli-nightly' });
    const yaml = await cli(['backup', 'get', 'cli-nightly', '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(parseYaml(yaml.stdout)).toEqual(json);
    const table = await cli(['backup', 'list', '--output', 'table']);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+ENGINE/);
    const bad = await cli(['backup', 'list', '-o', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Error [usage]: -o must be one of table, json, yaml');
  });

  it('--version prints the CLI version; version adds the server version', async () => {
    const flag = await bin(['--version']);
    expect(flag.code).toBe(0);
    expect(flag.stdout.trim()).toBe(packageJson.version);
    const both = await cli(['version']);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toBe(`client: ${packageJson.version}\nserver: ${packageJson.version}\n`);
    const offline = await cli(['version', '--json'], { GATEWAY_URL: 'http://127.0.0.1:9' });
    expect(offline.code).toBe(3);
    expect(JSON.parse(offline.stdout)).toMatchObject({ client: packageJson.version, server: null, error: { code: 'gateway_unreachable' } });
  });

  it('says "did you mean" for unknown commands and flags, exit 2', async () => {
    const command = await bin(['backup', 'craete']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('(Did you mean create?)');
    const top = await cli(['restor', 'x']);
    expect(top.code).toBe(2);
    expect(top.stderr).toContain('(Did you mean restore?)');
    const flag = await cli(['backup', 'list', '--jsno']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('(Did you mean --json?)');
  });

  it('prints bash and zsh completion scripts that complete commands and flags', async () => {
    const script = await cli(['completion', 'bash']);
    expect(script.code).toBe(0);
    const complete = (line: string[]): string[] => {
      const shell = `${script.stdout}\nCOMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${line.length - 1}; _backup_gateway; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = spawnSync('bash', ['-c', shell], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      return result.stdout.split('\n').filter(Boolean);
    };
    expect(complete(['backup-gateway', 'ba'])).toEqual(['backup']);
    expect(complete(['backup-gateway', 'backup', ''])).toEqual(['create', 'list', 'get', 'delete', 'download']);
    expect(complete(['backup-gateway', '--json', 'backup', 'create', '--en'])).toEqual(['--engine']);
    expect(complete(['backup-gateway', 'restore', 'x', '--ur'])).toEqual(['--url']);
    const zsh = await cli(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef backup-gateway\nautoload -U \+X bashcompinit && bashcompinit\n/);
    expect((await cli(['completion', 'fish'])).code).toBe(2);
  });

  it('check verifies reachability, the key scope and every engine; exit codes 0, 1, 3, 4', async () => {
    const ok = await cli(['check']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/gateway\s+ok\s+.*version /);
    expect(ok.stdout).toMatch(/key\s+ok\s+master, scope ADMIN/);
    expect(ok.stdout).toMatch(new RegExp(`engine meili\\s+ok\\s+meilisearch ${VERSION}`));
    const viewerKey = (JSON.parse((await cli(['keys', 'create', 'check-viewer', '--scope', 'viewer', '--json'])).stdout) as { key: string }).key;
    const weak = await cli(['check', '--scope', 'operator'], { GATEWAY_API_KEY: viewerKey });
    expect(weak.code).toBe(4);
    expect(weak.stderr).toContain('Error [insufficient_scope]');
    expect((await cli(['check'], { GATEWAY_API_KEY: 'wrong-key-0123456789' })).code).toBe(4);
    expect((await cli(['check'], { GATEWAY_URL: 'http://127.0.0.1:9' })).code).toBe(3);
    // An engine that is down fails the check (1) and is named.
    const down = await cli(['engines', 'add', 'gone', '--plugin', 'meilisearch', '--set', 'url=http://127.0.0.1:9', '--set', `apiKey=${MEILI_KEY}`]);
    expect(down.code, down.stderr).toBe(0);
    const failed = await cli(['check', '--json']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Error [engine_unreachable]: Engine(s) down: gone');
    expect((await cli(['engines', 'remove', 'gone'])).code).toBe(0);
  });

  it('exits 3 when the engine is busy (job_already_in_progress)', async () => {
    emulator.setOptions({ documentsDelayMs: 50 });
    const first = await cli(['backup', 'create', '--engine', 'meili', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const busy = await cli(['backup', 'create', '--engine', 'meili']);
    const jobId = (JSON.parse(first.stdout) as { id: string }).id;
    await cli(['jobs', 'cancel', jobId, '--wait']);
    emulator.setOptions({ documentsDelayMs: 0 });
    expect(busy.stderr).toContain('Error [job_already_in_progress]');
    expect(busy.code).toBe(3);
  });

  it('restores under another name and waits for it', async () => {
    // By name, as velero and milvus-backup address backups.
    const run = await cli(['restore', 'cli-nightly', '--engine', 'meili', '--collections', 'books', '--rename', 'books=books_copy', '--wait']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Restore job \S+ SUCCEEDED/);
    expect((await meili.index('books_copy').getStats()).numberOfDocuments).toBe(600);
  });

  it('cancels a running restore with jobs cancel --wait', async () => {
    emulator.setOptions({ taskDelayMs: 300 });
    const started = await cli(['restore', backupId, '--collections', 'movies', '--overwrite', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const jobId = (JSON.parse(started.stdout) as { id: string }).id;
    await expect.poll(async () => (await t.gql(`query($id: ID!) { job(id: $id) { status } }`, { id: jobId })).data!.job.status).toBe('RUNNING');
    const canceled = await cli(['jobs', 'cancel', jobId, '--wait']);
    emulator.setOptions({ taskDelayMs: 0 });
    expect(canceled.code, canceled.stderr).toBe(0);
    expect(canceled.stdout).toContain(`Job ${jobId} CANCELED`);
    expect((await waitForJob(t, jobId)).status).toBe('CANCELED');
    const shown = await cli(['jobs', 'get', jobId]);
    expect(shown.stdout).toMatch(/RESTORE job \S+: CANCELED/);
  });

  it('creates and revokes API keys; a viewer key cannot start a backup', async () => {
    const created = await cli(['keys', 'create', 'ci-viewer', '--scope', 'viewer', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { key, apiKey } = JSON.parse(created.stdout) as { key: string; apiKey: { id: string; scope: string } };
    expect(apiKey.scope).toBe('VIEWER');
    const refused = await cli(['backup', 'create', '--engine', 'meili'], { GATEWAY_API_KEY: key });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('Error [insufficient_scope]');
    expect((await cli(['backup', 'list'], { GATEWAY_API_KEY: key })).code).toBe(0);
    expect((await cli(['keys', 'revoke', apiKey.id])).code).toBe(0);
    expect((await cli(['backup', 'list'], { GATEWAY_API_KEY: key })).stderr).toContain('Error [invalid_api_key]');
  });

  it('asks the gateway for a dump of its own state', async () => {
    const run = await cli(['dump', 'create', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const dump = JSON.parse(run.stdout) as { path: string; secrets: string; tables: Array<{ name: string; rows: number }> };
    expect(path.dirname(dump.path)).toBe(dumpsDir);
    expect(existsSync(dump.path)).toBe(true);
    expect(dump.secrets).toBe('OMIT');
    expect(dump.tables.find((table) => table.name === 'Engine')?.rows).toBe(1);
    expect((await cli(['dump', 'create', '--secrets', 'encrypt'])).code).toBe(2);
  });

  it('refuses an ambiguous backup name with a code and the ids', async () => {
    const second = await cli(['backup', 'create', '--engine', 'meili', '--collections', 'books', '--name', 'cli-nightly', '--wait', '--json']);
    expect(second.code, second.stderr).toBe(0);
    const secondId = (JSON.parse(second.stdout) as { backup: { id: string } }).backup.id;
    const run = await cli(['backup', 'get', 'cli-nightly']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Error [backup_name_ambiguous]: 2 backups are named "cli-nightly"');
    expect(run.stderr).toContain(backupId);
    expect(run.stderr).toContain(secondId);
    expect((await cli(['backup', 'get', 'no-such-backup'])).stderr).toContain('Error [backup_not_found]');
  });

  it('removes an engine by name', async () => {
    expect((await cli(['engines', 'remove', 'meili'])).code).toBe(0);
    const gone = await cli(['engines', 'remove', 'meili']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('Error [engine_not_found]');
  });
});
