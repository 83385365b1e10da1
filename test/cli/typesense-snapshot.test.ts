// A Typesense NATIVE backup (snapshot archive in gateway storage) made restorable by hand: `backup download`
// writes the archive (GET /backups/<id>/artifacts/<path>, OPERATOR scope, catalog paths only), and
// `restore-snapshot --data-dir` lays it out for stop → replace → start, printing each step, never touching a
// non-empty data dir without --force, refusing archive entries that would leave it.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../plugins/typesense/snapshot-pack.ts';
import { recordNativeBackup } from '../../src/catalog/native-records.ts';
import { runCli } from '../../src/cli/run.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createNativeSink } from '../../src/storage/native-sink.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MASTER_KEY = 'snapshot-master-key-0123456789';

describe('Typesense snapshot: backup download and restore-snapshot', () => {
  let t: TestGateway;
  let server: RunningServer;
  let work: string;
  let backupId: string;
  let archiveSha: string;

  const cli = async (args: string[], key = MASTER_KEY) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { GATEWAY_URL: server.url, GATEWAY_API_KEY: key },
    });
    return { code, stdout, stderr };
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'gw-snapshot-'));
    t = await startTestGateway({ masterKey: MASTER_KEY });
    server = await startServer(t.gateway, { port: 0, host: '127.0.0.1' });
    // What Typesense writes to snapshot_path: state/snapshot/… (RocksDB checkpoint) and state/meta.
    const snapshot = path.join(work, 'server-snapshot');
    await mkdir(path.join(snapshot, 'state', 'snapshot', 'db_snapshot'), { recursive: true });
    await writeFile(path.join(snapshot, 'state', 'snapshot', 'db_snapshot', 'CURRENT'), 'MANIFEST-000005\n');
    await writeFile(path.join(snapshot, 'state', 'snapshot', '__raft_snapshot_meta'), 'raft meta');
    await mkdir(path.join(snapshot, 'state', 'meta'), { recursive: true });
    await writeFile(path.join(snapshot, 'state', 'meta', 'raft_meta'), 'term 3');
    const backup = await t.gateway.prisma.backup.create({ data: { name: 'ts-snapshot', plugin: 'typesense', strategy: 'NATIVE', type: 'FULL', location: 'file:///x' } });
    backupId = backup.id;
    const sink = createNativeSink({ storage: t.gateway.storage, backupId });
    const file = await sink.writeFile('snapshot.tar.gz', packDirectory(snapshot, AbortSignal.timeout(10_000)));
    archiveSha = file.sha256;
    const now = new Date().toISOString();
    const manifest = await sink.finalize({
      plugin: 'typesense',
      engineVersion: '29.0',
      collections: [],
      warnings: [],
      externalId: '/data/snapshots/x',
      createdAt: now,
      finishedAt: now,
    });
    await recordNativeBackup(t.gateway.prisma, backupId, manifest, sink.files());
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('downloads the snapshot archive, checked, and never overwrites a file unasked', async () => {
    const out = path.join(work, 'downloaded.tar.gz');
    const first = await cli(['backup', 'download', backupId, '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(
      createHash('sha256')
        .update(await readFile(out))
        .digest('hex'),
    ).toBe(archiveSha);
    const again = await cli(['backup', 'download', backupId, '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[file_exists]');
    expect((await cli(['backup', 'download', backupId, '--out', out, '--force'])).code).toBe(0);
  });

  it('serves only catalog paths, to OPERATOR keys', async () => {
    const viewer = await t.gql(`mutation { createApiKey(input: {name: "v", scope: VIEWER}) { key } }`, {}, MASTER_KEY);
    const refused = await cli(['backup', 'download', backupId, '--out', path.join(work, 'v.tar.gz')], viewer.data!.createApiKey.key);
    expect(refused.stderr).toContain('[insufficient_scope]');
    for (const tricky of ['..%2F..%2Fmanifest.json', 'native%2F..%2F..%2Fetc%2Fpasswd', 'manifest.json']) {
      const res = await fetch(`${server.url}/backups/${backupId}/artifacts/${tricky}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      expect(res.status, tricky).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('file_not_found');
    }
    const anonymous = await fetch(`${server.url}/backups/${backupId}/artifacts/native/snapshot.tar.gz`);
    expect(anonymous.status).toBe(401);
  });

  it('lays the snapshot out as a data dir, printing each step; a non-empty one only with --force, moved aside', async () => {
    const dataDir = path.join(work, 'node1-data');
    const laid = await cli(['restore-snapshot', backupId, '--data-dir', dataDir]);
    expect(laid.code, laid.stderr).toBe(0);
    expect(laid.stderr).toMatch(/step 1: stop Typesense[\s\S]*step 2: extracting[\s\S]*step 3:[\s\S]*step 4:[\s\S]*step 5: start Typesense with --data-dir[\s\S]*follower/);
    expect(await readFile(path.join(dataDir, 'state', 'meta', 'raft_meta'), 'utf8')).toBe('term 3');
    expect(await readFile(path.join(dataDir, 'state', 'snapshot', 'db_snapshot', 'CURRENT'), 'utf8')).toBe('MANIFEST-000005\n');

    await writeFile(path.join(dataDir, 'live-marker'), 'live');
    const refused = await cli(['restore-snapshot', backupId, '--data-dir', dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[target_exists]');
    expect(await readFile(path.join(dataDir, 'live-marker'), 'utf8')).toBe('live');

    const forced = await cli(['restore-snapshot', backupId, '--data-dir', dataDir, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readdir(dataDir)).toEqual(['state']);
    const aside = (await readdir(work)).filter((name) => name.startsWith('node1-data.before-restore-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(path.join(work, aside[0]!, 'live-marker'), 'utf8')).toBe('live');
  });

  it('refuses an archive entry that would leave the data dir, touching nothing', async () => {
    for (const evil of ['../escaped', '/abs/escaped', 'state/../../escaped']) {
      const archive = path.join(work, 'evil.tar.gz');
      const pack = tar.pack();
      pack.entry({ name: 'state/ok', size: 2 }, 'ok');
      pack.entry({ name: evil, size: 4 }, 'evil');
      pack.finalize();
      await pipeline(pack, createGzip(), createWriteStream(archive));
      const dataDir = path.join(work, 'evil-data');
      const res = await cli(['restore-snapshot', backupId, '--data-dir', dataDir, '--archive', archive]);
      expect(res.code, evil).toBe(1);
      expect(res.stderr).toContain('[archive_invalid]');
      expect((await readdir(work)).some((name) => name === 'escaped' || name.startsWith('evil-data'))).toBe(false);
    }
    const link = tar.pack();
    link.entry({ name: 'state/link', type: 'symlink', linkname: '/etc/passwd' });
    link.finalize();
    const linkArchive = path.join(work, 'link.tar.gz');
    await pipeline(link, createGzip(), createWriteStream(linkArchive));
    const res = await cli(['restore-snapshot', backupId, '--data-dir', path.join(work, 'link-data'), '--archive', linkArchive]);
    expect(res.stderr).toContain('only files and directories');
  });
});
