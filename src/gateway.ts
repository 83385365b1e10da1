// Builds the gateway's services from its config: database, secrets, storage, engines, jobs, auth.
import path from 'node:path';
import { AuditLog } from './catalog/audit.ts';
import { BackupService } from './catalog/backups.ts';
import { EngineService } from './catalog/engines.ts';
import { hasServerBackups, syncEngineBackups } from './catalog/sync.ts';
import { ApiKeyService } from './auth/authenticate.ts';
import type { GatewayConfig } from './config.ts';
import type { PrismaClient } from './db/client.ts';
import { openDatabase, type Database } from './db/open.ts';
import type { EnginePlugin } from './engines/contract.ts';
import { JobBus } from './jobs/job-bus.ts';
import { JobService } from './jobs/job-service.ts';
import { endInterruptedJobs } from './jobs/recovery.ts';
import { JobRunner } from './jobs/runner.ts';
import { createLogger, Redactor, type GatewayLogger } from './log.ts';
import { SecretBox } from './secret-box.ts';
import { LocalFsStorage } from './storage/local-fs.ts';
import type { StorageDriver } from './storage/driver.ts';
import { plugins as builtInPlugins } from '../plugins/index.ts';

export interface Gateway {
  config: GatewayConfig;
  logger: GatewayLogger;
  redactor: Redactor;
  db: Database;
  prisma: PrismaClient;
  plugins: readonly EnginePlugin[];
  storage: StorageDriver;
  audit: AuditLog;
  engines: EngineService;
  backups: BackupService;
  jobs: JobService;
  runner: JobRunner;
  bus: JobBus;
  apiKeys: ApiKeyService;
  /** Stops the runner (aborting jobs after `graceMs`), closes engines and the database. */
  close(graceMs?: number): Promise<void>;
}

export interface CreateGatewayOptions {
  config: GatewayConfig;
  plugins?: readonly EnginePlugin[];
  /** Log lines go here instead of stderr (tests read them). */
  logWrite?: (line: string) => void;
  /** Open an already-open database instead (tests). */
  database?: Database;
  /** Start the job runner (default true). */
  runJobs?: boolean;
}

export async function createGateway(options: CreateGatewayOptions): Promise<Gateway> {
  const { config } = options;
  const redactor = new Redactor();
  redactor.add(config.masterKey);
  redactor.add(config.secretKey);
  const logger = createLogger({ level: config.logLevel, redactor, ...(options.logWrite ? { write: options.logWrite } : {}) });
  const db = options.database ?? (await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger }));
  const prisma = db.prisma;
  const secretBox = config.secretKey ? SecretBox.fromPassphrase(config.secretKey) : await SecretBox.fromKeyFile(config.dataDir);
  if (!config.secretKey && db.kind === 'postgres') {
    logger.warn('GATEWAY_SECRET_KEY is not set: engine secrets are sealed with this machine\'s data dir key; replicas sharing the database need the same GATEWAY_SECRET_KEY');
  }
  const storage = new LocalFsStorage({ root: path.join(config.dataDir, 'backups') });
  const plugins = options.plugins ?? builtInPlugins;
  const audit = new AuditLog(prisma);
  const bus = new JobBus();
  const engines = new EngineService({ prisma, plugins, secretBox, redactor, logger, audit });
  await engines.loadSecretsForRedaction();
  const runner = new JobRunner({
    prisma,
    engines,
    storage,
    bus,
    logger,
    leaseMs: config.leaseMs,
    concurrency: config.jobConcurrency,
    // Engines that keep backups on their side: reconcile the catalog after every job there.
    afterJob: async (job) => {
      const engine = job.engineId ? await engines.find(job.engineId) : null;
      if (engine && hasServerBackups(engines.instance(engine))) await syncEngineBackups({ prisma, engines, audit }, engine, 'sync');
    },
  });
  const jobs = new JobService({
    prisma,
    engines,
    storage,
    bus,
    audit,
    defaultTimeoutMs: config.jobTimeoutMs,
    onEnqueued: () => runner.wake(),
    onCancelRequested: (id) => runner.requestCancel(id),
  });
  const exclusive = db.kind === 'pglite';
  const interrupted = await endInterruptedJobs({ prisma, storage, bus, logger, everyRunningJob: exclusive });
  if (exclusive) {
    const swept = await storage.sweepTemp();
    if (swept > 0) logger.warn('removed temp files left by a previous process', { files: swept });
  }
  if (interrupted > 0) logger.warn('ended jobs interrupted by a previous process', { jobs: interrupted });
  if (options.runJobs !== false) runner.start();

  return {
    config,
    logger,
    redactor,
    db,
    prisma,
    plugins,
    storage,
    audit,
    engines,
    backups: new BackupService(prisma, storage, audit, engines),
    jobs,
    runner,
    bus,
    apiKeys: new ApiKeyService(prisma, config.masterKey, audit),
    async close(graceMs = 0) {
      await runner.stop(graceMs);
      await engines.closeAll();
      if (!options.database) await db.close();
    },
  };
}
