// Entry point of the Meilisearch emulator: a real HTTP server (node:http) speaking Meilisearch v1.x's
// API as described in shared/reference/engine-api.md §2 and the engine's own source (v1.16 by default).

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorDumps, dumpRoutes } from './dumps.ts';
import { writeSnapshot } from './snapshots.ts';
import { Engine } from './engine.ts';
import { MeiliError } from './errors.ts';
import { PAYLOAD_LIMIT, Router, normalizePath, type EmulatorRequest, type EmulatorResponse } from './http.ts';
import { documentRoutes } from './routes/documents.ts';
import { indexRoutes } from './routes/indexes.ts';
import { experimentalRoutes } from './routes/experimental.ts';
import { instanceRoutes } from './routes/instance.ts';
import { keyRoutes } from './routes/keys.ts';
import { searchRoutes } from './routes/search.ts';
import { settingsRoutes } from './routes/settings.ts';
import { taskRoutes } from './routes/tasks.ts';
import { EmulatorUpgrade, type UpgradeControls } from './upgrade.ts';
import { meilisearchVersionFromEnv } from './versions.ts';

export interface MeilisearchEmulatorOptions {
  /** 0 or undefined = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** None = an open instance, as Meilisearch started without a master key. */
  masterKey?: string;
  /** `pkgVersion` reported by GET /version; also gates version-specific behaviour. Default: `MEILISEARCH_VERSION`, else the current version (versions.ts). */
  version?: string;
  /** Extra time each task spends processing (default 0), so tests can cancel mid-task. */
  taskDelayMs?: number;
  /** Delay added to each documents read (GET documents, POST documents/fetch), default 0. */
  documentsDelayMs?: number;
  /** Where `POST /dumps` writes `<dumpUid>.dump` (--dump-dir). Default: a temp dir removed on close. */
  dumpsDir?: string;
  /** Where `POST /snapshots` writes `data.ms.snapshot` (--snapshot-dir). Default: a temp dir removed on close. */
  snapshotsDir?: string;
  /** Database version the instance starts on (MEILISEARCH_UPGRADE_FROM): an upgradeDatabase task runs first. */
  upgradeFrom?: string;
}

/** Test controls of the dumpless upgrade (upgrade.ts). */
export interface MeilisearchEmulatorUpgrade {
  readonly controls: UpgradeControls;
  /** The instance restarts on the current binary (or on `binaryVersion`) with its database at `from` (existing indexes included). */
  begin(from: string, binaryVersion?: string): void;
  /** A process restart, on the same binary or on `version`: a failed upgrade is retried. */
  restart(version?: string): void;
}

export interface MeilisearchEmulator {
  /** e.g. http://127.0.0.1:54321 */
  url: string;
  /** The dumps folder in use. */
  dumpsDir: string;
  upgrade: MeilisearchEmulatorUpgrade;
  /** The snapshots folder in use. */
  snapshotsDir: string;
  close(): Promise<void>;
  /** Changes the delays at run time. */
  setOptions(patch: Partial<Pick<MeilisearchEmulatorOptions, 'taskDelayMs' | 'documentsDelayMs'>>): void;
}

/** Reads the whole body, but stops keeping bytes past the payload limit (the engine answers 413). */
function readBody(req: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > PAYLOAD_LIMIT) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: EmulatorResponse, origin: string | undefined): void {
  if (origin !== undefined) {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('vary', 'Origin');
  }
  if (response.text !== undefined) {
    const payload = Buffer.from(response.text);
    res.writeHead(response.status, { 'content-type': response.contentType ?? 'text/plain', 'content-length': String(payload.length) });
    res.end(payload);
    return;
  }
  if (response.body === undefined) {
    res.writeHead(response.status, { 'content-length': '0' });
    res.end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(response.body));
  res.writeHead(response.status, { 'content-type': 'application/json', 'content-length': String(payload.length) });
  res.end(payload);
}

export async function startMeilisearchEmulator(options: MeilisearchEmulatorOptions = {}): Promise<MeilisearchEmulator> {
  const engine = new Engine({
    masterKey: options.masterKey,
    version: options.version ?? meilisearchVersionFromEnv(),
    taskDelayMs: options.taskDelayMs ?? 0,
    documentsDelayMs: options.documentsDelayMs ?? 0,
  });
  const dumpsDir = options.dumpsDir ?? mkdtempSync(join(tmpdir(), 'meilisearch-emulator-dumps-'));
  const dumps = new EmulatorDumps(engine, dumpsDir);
  engine.scheduler.onDumpCreation = (uid, task, startedAt) => dumps.write(uid, task, startedAt);
  const upgrade = new EmulatorUpgrade(engine);
  engine.scheduler.upgrade = upgrade;
  if (options.upgradeFrom !== undefined) upgrade.begin(options.upgradeFrom);
  const snapshotsDir = options.snapshotsDir ?? mkdtempSync(join(tmpdir(), 'meilisearch-emulator-snapshots-'));
  engine.scheduler.onSnapshotCreation = (at) => writeSnapshot(engine, snapshotsDir, at);
  const router = new Router();
  router.add(instanceRoutes(engine));
  router.add(experimentalRoutes(engine));
  router.add(dumpRoutes(engine, dumps));
  router.add(keyRoutes(engine));
  router.add(taskRoutes(engine));
  router.add(indexRoutes(engine));
  router.add(documentRoutes(engine));
  router.add(settingsRoutes(engine));
  router.add(searchRoutes(engine));

  const server = createServer((req, res) => {
    void (async () => {
      const origin = req.headers.origin;
      try {
        const { body, tooLarge } = await readBody(req);
        const url = new URL(req.url ?? '/', 'http://emulator');
        if (req.method === 'OPTIONS' && origin !== undefined) {
          // actix-cors preflight: any origin, method and header
          res.writeHead(200, {
            'access-control-allow-origin': '*',
            'access-control-allow-methods': req.headers['access-control-request-method'] ?? '*',
            'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
            'access-control-max-age': '86400',
          });
          res.end();
          return;
        }
        const request: EmulatorRequest = {
          method: req.method ?? 'GET',
          path: normalizePath(url.pathname),
          search: url.search.slice(1),
          headers: req.headers,
          body,
          bodyTooLarge: tooLarge,
        };
        send(res, await router.dispatch(request), origin);
      } catch (error) {
        if (error instanceof MeiliError) send(res, { status: error.status, body: error.toBody() }, origin);
        else {
          const message = error instanceof Error ? error.message : String(error);
          send(res, { status: 500, body: new MeiliError('internal', message).toBody() }, origin);
        }
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    dumpsDir,
    upgrade,
    snapshotsDir,
    async close() {
      engine.scheduler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.dumpsDir === undefined) rmSync(dumpsDir, { recursive: true, force: true });
      if (options.snapshotsDir === undefined) rmSync(snapshotsDir, { recursive: true, force: true });
    },
    setOptions(patch) {
      if (patch.taskDelayMs !== undefined) engine.options.taskDelayMs = patch.taskDelayMs;
      if (patch.documentsDelayMs !== undefined) engine.options.documentsDelayMs = patch.documentsDelayMs;
    },
  };
}
