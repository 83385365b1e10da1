// Builds the gateway's services from its config: database, secrets, storage, engines, jobs, auth.
import path from 'node:path';
import { AuditLog } from './catalog/audit.ts';
import { BackupService } from './catalog/backups.ts';
import { EngineService } from './catalog/engines.ts';
import { hasServerBackups, syncEngineBackups } from './catalog/sync.ts';
import { loadAgeIdentities } from './catalog/storage-location.ts';
import { StorageService } from './catalog/storages.ts';
import { RetentionService } from './lifecycle/retention-service.ts';
import { Scheduler } from './lifecycle/scheduler.ts';
import { ScheduleService } from './lifecycle/schedules.ts';
import { WebhookService } from './lifecycle/webhooks.ts';
import { runDeleteJob } from './jobs/delete-job.ts';
import { runVerifyJob } from './jobs/verify-job.ts';
import { ApiKeyService } from './auth/authenticate.ts';
import type { GatewayConfig } from './config.ts';
import type { PrismaClient } from './db/client.ts';
import { openDatabase, type Database } from './db/open.ts';
import type { EnginePlugin } from './engines/contract.ts';
import { loadExternalPlugins } from './engines/external-plugins.ts';
import { JobBus } from './jobs/job-bus.ts';
import { JobService } from './jobs/job-service.ts';
import { endInterruptedJobs } from './jobs/recovery.ts';
import { JobRunner } from './jobs/runner.ts';
import { actOnReplicaNews, connectRedisJobBus } from './jobs/redis-bus.ts';
import { createLogger, Redactor, type GatewayLogger } from './log.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { recordJobSpan } from './observability/tracing.ts';
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
  /** Storage locations (built-in, registered, external), schedules, retention, webhooks (issue 7). */
  storages: StorageService;
  schedules: ScheduleService;
  scheduler: Scheduler;
  retention: RetentionService;
  webhooks: WebhookService;
  /** Prometheus metrics served at /metrics. */
  metrics: GatewayMetrics;
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
  /** Where GATEWAY_PLUGINS packages are resolved from (default: the working directory). */
  pluginsFrom?: string;
}

export async function createGateway(options: CreateGatewayOptions): Promise<Gateway> {
  const { config } = options;
  const redactor = new Redactor();
  redactor.add(config.masterKey);
  redactor.add(config.secretKey);
  if (config.redisUrl) redactor.add(decodeURIComponent(new URL(config.redisUrl).password));
  const logger = createLogger({ level: config.logLevel, redactor, ...(options.logWrite ? { write: options.logWrite } : {}) });
  // External plugin packages first: a bad one stops the start before the database is touched.
  const registered = options.plugins ?? builtInPlugins;
  const external = await loadExternalPlugins(config.pluginPackages, { registered, logger, ...(options.pluginsFrom ? { fromDir: options.pluginsFrom } : {}) });
  const plugins = [...registered, ...external];
  const db = options.database ?? (await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger }));
  const prisma = db.prisma;
  const secretBox = config.secretKey ? SecretBox.fromPassphrase(config.secretKey) : await SecretBox.fromKeyFile(config.dataDir);
  if (!config.secretKey && db.kind === 'postgres') {
    logger.warn('GATEWAY_SECRET_KEY is not set: engine secrets are sealed with this machine\'s data dir key; replicas sharing the database need the same GATEWAY_SECRET_KEY');
  }
  const storage = new LocalFsStorage({ root: path.join(config.dataDir, 'backups') });
  const audit = new AuditLog(prisma);
  // With REDIS_URL, job changes cross replicas (graphql-yoga's Redis event target); otherwise in-process.
  const redis = config.redisUrl ? await connectRedisJobBus({ url: config.redisUrl, channel: config.redisChannel, logger }) : null;
  const bus = redis?.bus ?? new JobBus();
  const engines = new EngineService({ prisma, plugins, secretBox, redactor, logger, audit });
  await engines.loadSecretsForRedaction();
  const storages = new StorageService({ prisma, secretBox, redactor, logger, audit, builtIn: storage, identities: await loadAgeIdentities(config.ageIdentityFile, redactor) });
  await storages.loadSecretsForRedaction();
  const backups = new BackupService(prisma, storage, audit, engines, (backup, sealed) => storages.forBackup(backup, sealed));
  const webhooks = new WebhookService({ prisma, secretBox, redactor, logger, audit, bus, retryBaseMs: config.webhookRetryBaseMs, maxAttempts: config.webhookMaxAttempts });
  const onDamaged = webhooks.backupDamaged.bind(webhooks);
  const metrics = new GatewayMetrics({ prisma, bus });
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
      await metrics.jobEnded(job);
      recordJobSpan(job);
      if (job.kind === 'BACKUP' && job.status === 'SUCCEEDED') await retention.afterBackupJob(job, logger);
      const engine = job.engineId ? await engines.find(job.engineId) : null;
      if (engine && hasServerBackups(engines.instance(engine))) await syncEngineBackups({ prisma, engines, audit }, engine, 'sync');
    },
    handlers: {
      VERIFY: (job, ctx) => runVerifyJob({ prisma, storages, engines, onDamaged }, job, ctx),
      DELETE: (job, ctx) => runDeleteJob({ backups }, job, ctx),
    },
    storageFor: (job) => storages.forJob(job),
  });
  const jobs = new JobService({
    prisma,
    engines,
    storage,
    storages,
    bus,
    audit,
    defaultTimeoutMs: config.jobTimeoutMs,
    onEnqueued: () => runner.wake(),
    onCancelRequested: (id) => runner.requestCancel(id),
  });
  const exclusive = db.kind === 'pglite';
  const interrupted = await endInterruptedJobs({ prisma, storage, bus, logger, everyRunningJob: exclusive, storageFor: (job) => storages.forJob(job) });
  if (exclusive) {
    const swept = await storage.sweepTemp();
    if (swept > 0) logger.warn('removed temp files left by a previous process', { files: swept });
  }
  if (interrupted > 0) logger.warn('ended jobs interrupted by a previous process', { jobs: interrupted });
  const retention = new RetentionService({ prisma, engines, jobs, audit });
  const scheduler = new Scheduler({ prisma, jobs, logger });
  const schedules = new ScheduleService({ prisma, engines, storages, audit, onChange: () => scheduler.wake() });
  if (options.runJobs !== false) runner.start();
  if (options.runJobs !== false) {
    webhooks.start();
    scheduler.start();
  }
  const stopReplicaNews = redis && options.runJobs !== false ? actOnReplicaNews(bus, runner, logger) : () => undefined;

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
    backups,
    jobs,
    runner,
    bus,
    apiKeys: new ApiKeyService(prisma, config.masterKey, audit),
    storages,
    schedules,
    scheduler,
    retention,
    webhooks,
    metrics,
    async close(graceMs = 0) {
      await scheduler.stop();
      await runner.stop(graceMs);
      await webhooks.stop();
      storages.closeAll();
      stopReplicaNews();
      bus.close();
      await redis?.close();
      await engines.closeAll();
      if (!options.database) await db.close();
    },
  };
}
