// Builds the gateway's services from its config: database, secrets, storage, engines, jobs, auth.
import path from 'node:path';
import { AuditLog } from './catalog/audit.ts';
import { BackupService } from './catalog/backups.ts';
import { CatalogReports } from './catalog/reports.ts';
import { EngineService } from './catalog/engines.ts';
import { hasServerBackups, syncEngineBackups } from './catalog/sync.ts';
import { loadAgeIdentities } from './catalog/storage-location.ts';
import { StorageService } from './catalog/storages.ts';
import { RetentionService } from './lifecycle/retention-service.ts';
import { Scheduler } from './lifecycle/scheduler.ts';
import { ScheduleService } from './lifecycle/schedules.ts';
import { WebhookService } from './lifecycle/webhooks.ts';
import { reconcileStorage, type ReconcileResult } from './lifecycle/reconcile.ts';
import { runDeleteJob } from './jobs/delete-job.ts';
import { runVerifyJob } from './jobs/verify-job.ts';
import { ApiKeyService } from './auth/authenticate.ts';
import type { GatewayConfig } from './config.ts';
import type { Backup, PrismaClient } from './db/client.ts';
import { deleteBackupAsJob } from './jobs/delete-now.ts';
import { openDatabase, type Database } from './db/open.ts';
import type { EnginePlugin } from './engines/contract.ts';
import { loadExternalPlugins } from './engines/external-plugins.ts';
import { JobBus } from './jobs/job-bus.ts';
import { JobService } from './jobs/job-service.ts';
import { prepareEngineUpgrade, type UpgradePreparation } from './lifecycle/upgrade-prepare.ts';
import { UpgradeJobs, runUpgradeRollbackJob, runUpgradeWatchJob } from './jobs/upgrade-jobs.ts';
import { BackupSetService } from './jobs/backup-sets.ts';
import { EngineCopies, runCopyJob } from './jobs/copy-job.ts';
import { JobTreeTracker } from './jobs/job-tree.ts';
import { endInterruptedJobs, failStrandedBackups } from './jobs/recovery.ts';
import { StagingJanitor } from './jobs/staging-cleanup.ts';
import { JobRunner } from './jobs/runner.ts';
import { createLogger, Redactor, type GatewayLogger } from './log.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { recordJobSpan } from './observability/tracing.ts';
import { SecretBox } from './secret-box.ts';
import { resealSecrets } from './catalog/reseal.ts';
import { LocalFsStorage } from './storage/local-fs.ts';
import type { StorageDriver } from './storage/driver.ts';
import { setInputLimits } from './storage/bounded-input.ts';
import { privatizeTree, restrictUmask } from './private-files.ts';
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
  /** Read-only views for people: protection per engine, the searchable catalog. */
  reports: CatalogReports;
  jobs: JobService;
  /** Engine upgrades: state, watch and rollback jobs, the engine_upgrading refusal (jobs/upgrade-jobs.ts). */
  upgrades: UpgradeJobs;
  /** copyEngine: COPY jobs, one engine's collections sent by the engine into another (jobs/copy-job.ts). */
  copies: EngineCopies;
  runner: JobRunner;
  bus: JobBus;
  apiKeys: ApiKeyService;
  /** Storage locations (built-in, registered, external), schedules, retention, webhooks (issue 7). */
  storages: StorageService;
  schedules: ScheduleService;
  scheduler: Scheduler;
  retention: RetentionService;
  /** Drops restore staging copies of jobs no longer running; lists those it could not. */
  staging: StagingJanitor;
  webhooks: WebhookService;
  /** Backup sets (issue 20): several engines backed up, verified, restored and deleted together. */
  backupSets: BackupSetService;
  /** Compares a storage location with the catalog (lifecycle/reconcile.ts); damage is told to the webhooks. */
  reconcileStorage(storageId: string, options: { deleteOrphans: boolean }, actor: string): Promise<ReconcileResult>;
  /** Deletes a backup as an inline DELETE job (jobs/delete-now.ts): events, subscriptions and webhooks like any job. */
  deleteBackup(backupId: string, actor: string, options?: { sealedCredentials?: string | null }): Promise<Backup>;
  /** The verified, pinned safety copy before an engine upgrade (lifecycle/upgrade-prepare.ts). */
  prepareEngineUpgrade(engineId: string, targetVersion: string, actor: string): Promise<UpgradePreparation>;
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

/** Lets the job service wake a runner built after it; before `attach`, nothing runs, so nothing needs waking. */
class RunnerLink {
  private runner: JobRunner | null = null;

  attach(runner: JobRunner): void {
    this.runner = runner;
  }

  wake(): void {
    this.runner?.wake();
  }

  requestCancel(jobId: string): void {
    this.runner?.requestCancel(jobId);
  }
}

export async function createGateway(options: CreateGatewayOptions): Promise<Gateway> {
  const { config } = options;
  // Every file the gateway or PGlite creates is private to this user, whatever umask it was started with.
  restrictUmask();
  setInputLimits({ maxDocumentLineBytes: config.maxDocumentLineBytes });
  const redactor = new Redactor();
  redactor.add(config.masterKey);
  redactor.add(config.secretKey);
  if (config.redisUrl) redactor.add(decodeURIComponent(new URL(config.redisUrl).password));
  const logger = createLogger({ level: config.logLevel, redactor, ...(options.logWrite ? { write: options.logWrite } : {}) });
  // External plugin packages first: a bad one stops the start before the database is touched.
  const registered = options.plugins ?? builtInPlugins;
  const external = await loadExternalPlugins(config.pluginPackages, { registered, logger, ...(options.pluginsFrom ? { fromDir: options.pluginsFrom } : {}) });
  const plugins = [...registered, ...external];
  const db = options.database ?? (await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, sharedBuffers: config.embeddedSharedBuffers, logger }));
  const prisma = db.prisma;
  const secretBox = config.secretKey ? SecretBox.fromPassphrase(config.secretKey) : await SecretBox.fromKeyFile(config.dataDir);
  if (!config.secretKey && db.kind === 'postgres') {
    logger.warn("GATEWAY_SECRET_KEY is not set: engine secrets are sealed with this machine's data dir key; replicas sharing the database need the same GATEWAY_SECRET_KEY");
  }
  await resealSecrets(prisma, secretBox, logger);
  const storage = new LocalFsStorage({ root: path.join(config.dataDir, 'backups') });
  const audit = new AuditLog(prisma);
  // With REDIS_URL, job changes cross replicas (graphql-yoga's Redis event target); otherwise in-process.
  // Imported only then: ioredis and the event target cost ~0.3 s of every start that does not use them.
  const redisBus = config.redisUrl ? await import('./jobs/redis-bus.ts') : null;
  const redis = redisBus && config.redisUrl ? await redisBus.connectRedisJobBus({ url: config.redisUrl, channel: config.redisChannel, logger }) : null;
  const bus = redis?.bus ?? new JobBus();
  const engines = new EngineService({ prisma, plugins, secretBox, redactor, logger, audit });
  await engines.loadSecretsForRedaction();
  await storage.claimRoot();
  const opened = await privatizeTree(config.dataDir);
  if (opened > 0) logger.warn('removed group/other permissions from files in the data directory', { files: opened });
  const protectedFolders = { dataDir: config.dataDir, others: [config.dumpsDir, ...(config.importDir ? [config.importDir] : [])] };
  const storages = new StorageService({
    prisma,
    secretBox,
    redactor,
    logger,
    audit,
    builtIn: storage,
    identities: await loadAgeIdentities(config.ageIdentityFile, redactor),
    protectedFolders,
  });
  await storages.loadSecretsForRedaction();
  const backups = new BackupService(prisma, storage, audit, engines, (backup, sealed) => storages.forBackup(backup, sealed));
  const webhooks = new WebhookService({ prisma, secretBox, redactor, logger, audit, bus, retryBaseMs: config.webhookRetryBaseMs, maxAttempts: config.webhookMaxAttempts });
  const onDamaged = webhooks.backupDamaged.bind(webhooks);
  const metrics = new GatewayMetrics({ prisma, bus });
  // Jobs enqueue work for the runner, and the runner applies retention (which enqueues jobs) after each backup:
  // the service reaches the runner through a link filled in once the runner exists.
  const runnerLink = new RunnerLink();
  const upgrades = new UpgradeJobs({ prisma, engines, bus, audit, onEnqueued: () => runnerLink.wake() });
  const jobs = new JobService({
    prisma,
    engines,
    storage,
    storages,
    bus,
    audit,
    upgrades,
    defaultTimeoutMs: config.jobTimeoutMs,
    onEnqueued: (job) => {
      // Logged in the request's scope: this line ties the request id to the job id its job lines carry.
      logger.info('job queued', { jobId: job.id, kind: job.kind });
      runnerLink.wake();
    },
    onCancelRequested: (id) => runnerLink.requestCancel(id),
  });
  const copies = new EngineCopies({
    prisma,
    engines,
    bus,
    audit,
    upgrades,
    defaultTimeoutMs: config.jobTimeoutMs,
    onEnqueued: (job) => {
      logger.info('job queued', { jobId: job.id, kind: job.kind });
      runnerLink.wake();
    },
  });
  const retention = new RetentionService({ prisma, engines, jobs, audit });
  const backupSets = new BackupSetService({
    prisma,
    engines,
    jobs,
    bus,
    audit,
    deleteBackup: (backupId, actor) => deleteBackupAsJob({ prisma, backups, bus, audit }, backupId, actor),
    concurrency: config.jobConcurrency,
  });
  // Parent jobs of sets follow their members on the bus: every replica sees every change, and updates are idempotent.
  const jobTree = new JobTreeTracker({ prisma, bus, logger, onParentEnded: (parent, children) => backupSets.parentEnded(parent, children) });
  jobTree.start();
  const staging = new StagingJanitor({ prisma, engines, logger });
  const scheduler = new Scheduler({ prisma, jobs, logger, sets: backupSets });
  const runner = new JobRunner({
    prisma,
    engines,
    storage,
    bus,
    logger,
    leaseMs: config.leaseMs,
    concurrency: config.jobConcurrency,
    gzipLevel: config.gzipLevel,
    // Engines that keep backups on their side: reconcile the catalog after every job there.
    afterJob: async (job) => {
      await metrics.jobEnded(job);
      recordJobSpan(job);
      if (job.kind === 'BACKUP' && job.status === 'SUCCEEDED') await retention.afterBackupJob(job, logger);
      await scheduler.afterJob(job);
      const engine = job.engineId ? await engines.find(job.engineId) : null;
      if (engine && (job.kind === 'RESTORE' || job.kind === 'VERIFY')) await staging.sweep(engine);
      if (engine && hasServerBackups(engines.instance(engine))) await syncEngineBackups({ prisma, engines, audit }, engine, 'sync');
    },
    handlers: {
      VERIFY: (job, ctx) => runVerifyJob({ prisma, storages, engines, onDamaged }, job, ctx),
      DELETE: (job, ctx) => runDeleteJob({ backups }, job, ctx),
      UPGRADE_WATCH: (job, ctx) => runUpgradeWatchJob({ prisma, engines }, job, ctx),
      UPGRADE_ROLLBACK: (job, ctx) => runUpgradeRollbackJob({ prisma, engines }, job, ctx),
      COPY: (job, ctx) => runCopyJob({ engines }, job, ctx),
    },
    storageFor: (job) => storages.forJob(job),
  });
  runnerLink.attach(runner);
  const exclusive = db.kind === 'pglite';
  const interrupted = await endInterruptedJobs({ prisma, storage, bus, logger, everyRunningJob: exclusive, storageFor: (job) => storages.forJob(job) });
  if (exclusive) {
    const swept = await storage.sweepTemp();
    if (swept > 0) logger.warn('removed temp files left by a previous process', { files: swept });
  }
  if (interrupted > 0) logger.warn('ended jobs interrupted by a previous process', { jobs: interrupted });
  const stranded = await failStrandedBackups(prisma, { everyPending: exclusive });
  if (stranded > 0) logger.warn('marked FAILED backups left PENDING by jobs that ended', { backups: stranded });
  const settled = await backupSets.settleLeftovers();
  if (settled > 0) logger.warn('recorded the end of backup sets whose parent job ended with a previous process', { sets: settled });
  const schedules = new ScheduleService({ prisma, engines, storages, audit, onChange: () => scheduler.wake(), minIntervalMs: config.minScheduleIntervalMs });
  if (options.runJobs !== false) staging.sweepAllInBackground();
  if (options.runJobs !== false) runner.start();
  if (options.runJobs !== false) {
    webhooks.start();
    scheduler.start();
  }
  const apiKeys = new ApiKeyService(prisma, config.masterKey, audit, { logger: logger.child({ component: 'auth' }), authFailuresPerMinute: config.authFailuresPerMinute });
  const stopReplicaNews = redisBus && redis && options.runJobs !== false ? redisBus.actOnReplicaNews(bus, runner, logger) : () => undefined;

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
    reports: new CatalogReports(prisma),
    jobs,
    upgrades,
    copies,
    runner,
    bus,
    apiKeys,
    storages,
    schedules,
    scheduler,
    retention,
    staging,
    webhooks,
    prepareEngineUpgrade: (engineId, targetVersion, actor) => prepareEngineUpgrade({ prisma, engines, jobs, backups }, engineId, targetVersion, actor),
    backupSets,
    deleteBackup: (backupId, actor, deleteOptions) => deleteBackupAsJob({ prisma, backups, bus, audit }, backupId, actor, deleteOptions),
    reconcileStorage: (storageId, reconcileOptions, actor) => reconcileStorage({ prisma, storages, audit, onDamaged }, storageId, reconcileOptions, actor),
    metrics,
    async close(graceMs = 0) {
      apiKeys.revocations.close();
      await scheduler.stop();
      await runner.stop(graceMs);
      await jobTree.stop();
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
