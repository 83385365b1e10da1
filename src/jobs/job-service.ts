// Starting, cancelling and reading jobs. Validation happens here, before anything is written.
import type { Backup, Engine, Job, JobEvent, JobKind, Prisma, PrismaClient } from '../db/client.ts';
import type { CatalogPage } from '../catalog/backups.ts';
import type { AuditLog } from '../catalog/audit.ts';
import type { EngineService } from '../catalog/engines.ts';
import { BUILTIN_STORAGE_ID, type StorageService } from '../catalog/storages.ts';
import { isUuid } from '../catalog/engines.ts';
import { checkCollectionNames, validateName } from '../catalog/names.ts';
import type { Capability } from '../engines/contract.ts';
import { parsePluginOptions } from '../engines/plugin-options.ts';
import { GatewayError } from '../errors.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { ACTIVE_STATUSES, isTerminal } from '../db/job-status.ts';
import type { JobBus } from './job-bus.ts';
import { jobWhere, type JobFilter } from './job-filter.ts';
import { RestoreJobInput, restoreTargets, scratchName, type BackupJobInput } from './job-input.ts';
import { initialProgress } from './progress.ts';
import { enforcePlan, type RestorePlan } from './restore-plan.ts';
import { planBackupRestore } from './restore-planning.ts';
import {
  defaultBackupName,
  normaliseCollections,
  requireCapability,
  requireCredentials,
  validateLabels,
  type StartBackupRequest,
  type StartRestoreRequest,
  type StartVerifyRequest,
} from './job-requests.ts';

/** A plan looks at the engine (existence, version): this long at most. */
const PLAN_TIMEOUT_MS = 15_000;

/** Kinds that hold the engine: one of them at a time per engine. */
export type { JobFilter };

const EXCLUSIVE_KINDS: JobKind[] = ['BACKUP', 'RESTORE'];

export interface JobServiceDeps {
  prisma: PrismaClient;
  engines: EngineService;
  storage: StorageDriver;
  bus: JobBus;
  audit: AuditLog;
  defaultTimeoutMs: number;
  /** Storage locations; without it every backup goes to `storage`. */
  storages?: StorageService;
  /** Tells the local runner there is work, or that a running job must stop. */
  onEnqueued(job: Job): void;
  onCancelRequested(jobId: string): void;
  /** Refuses jobs on an engine whose database is being upgraded (`engine_upgrading`, upgrade-jobs.ts). */
  upgrades?: { refuseWhileUpgrading(engine: Engine): Promise<void> };
}

export class JobService {
  constructor(private readonly deps: JobServiceDeps) {}

  async get(id: string): Promise<Job> {
    const job = isUuid(id) ? await this.deps.prisma.job.findUnique({ where: { id } }) : null;
    if (!job) throw new GatewayError('job_not_found', `No job with id "${id.slice(0, 64)}"`);
    return job;
  }

  find(id: string): Promise<Job | null> {
    return isUuid(id) ? this.deps.prisma.job.findUnique({ where: { id } }) : Promise.resolve(null);
  }

  /**
   * One page of jobs matching the filter (the page's take/cursor/order come from the API's pagination) and a
   * function counting them all, so the count(*) runs only for a caller that wants it. `input: false` /
   * `progress: false` leave that JSON column out (the rows' field is then an empty object).
   */
  async page(filter: JobFilter, page: CatalogPage, options: { input: boolean; progress: boolean } = { input: true, progress: true }): Promise<[Job[], () => Promise<number>]> {
    const where = jobWhere(filter);
    const count = () => this.deps.prisma.job.count({ where });
    if (options.input && options.progress) return [await this.deps.prisma.job.findMany({ where, ...page }), count];
    // Each JSON column only when asked for: decoding them is most of what a page of rows costs the database client.
    const rows = await this.deps.prisma.job.findMany({ where, ...page, omit: { input: !options.input, progress: !options.progress } });
    return [rows.map((row) => ({ ...row, input: options.input ? row.input : {}, progress: options.progress ? row.progress : {} })), count];
  }

  /** The member jobs of a set's parent job, oldest first. */
  children(parentId: string): Promise<Job[]> {
    return this.deps.prisma.job.findMany({ where: { parentId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  /** The job's last `take` events, oldest first. */
  async events(jobId: string, take: number): Promise<JobEvent[]> {
    const rows = await this.deps.prisma.jobEvent.findMany({ where: { jobId }, orderBy: { id: 'desc' }, take });
    return rows.reverse();
  }

  async startBackup(request: StartBackupRequest, actor: string): Promise<Job> {
    const engine = await this.deps.engines.get(request.engineId);
    const plugin = this.deps.engines.plugin(engine.plugin);
    const strategy = request.strategy ?? plugin.defaultStrategy ?? 'LOGICAL';
    const type = request.type ?? 'FULL';
    const options = parsePluginOptions(plugin, 'backup', request.options);
    this.requireCapability(engine, strategy === 'LOGICAL' ? 'logicalBackup' : 'nativeBackup', `${strategy} backup`);
    const collections = normaliseCollections(request.collections, this.deps.engines.plugin(engine.plugin));
    const parent = type === 'INCREMENTAL' ? await this.incrementalParent(engine, strategy, collections) : null;
    const name = request.name ? validateName(request.name, 'backup name') : defaultBackupName(engine.name);
    if (strategy === 'NATIVE') this.deps.engines.plugin(engine.plugin).checkNativeBackupName?.(name);
    const labels = validateLabels(request.labels);
    const changedSince = parent ? parent.createdAt : null;
    const input: BackupJobInput = { collections, strategy, type, changedSince: changedSince?.toISOString() ?? null, ...(options ? { options } : {}) };
    const timeoutMs = this.timeoutMs(request.timeoutSeconds);
    const { storages } = this.deps;
    if (request.location && request.storageId) throw new GatewayError('invalid_input', 'pass storageId or location, not both');
    const external = request.location && storages ? storages.external(request.location) : null;
    // An incremental backup lives where its parent does, so a restore reads the whole chain from one location.
    const parentStorage = parent ? (parent.storageId ?? BUILTIN_STORAGE_ID) : null;
    if (parent && (external || parent.externalLocation || (request.storageId && request.storageId !== parentStorage))) {
      throw new GatewayError(
        'invalid_input',
        `An incremental backup is stored with its parent "${parent.name}" (${parent.externalLocation ? 'an external location: take a FULL backup' : `storage ${parentStorage}`}); omit storageId and location`,
      );
    }
    const target = external || !storages ? null : await storages.target(parentStorage ?? request.storageId);
    if (external) Object.assign(input, { externalLocation: external });
    const where = external
      ? { storageId: null, externalLocation: { url: external.url, endpoint: external.endpoint, region: external.region, forcePathStyle: external.forcePathStyle } }
      : { storageId: target?.storageId ?? null };
    const locate = (id: string) => (external ? `${external.url}${id}/` : (target?.driver ?? this.deps.storage).locationOf(id));

    const job = await this.enqueueExclusive(engine, collections, async (tx) => {
      const backup = await tx.backup.create({
        data: {
          name,
          engineId: engine.id,
          plugin: engine.plugin,
          strategy,
          type,
          location: '',
          labels: labels ?? undefined,
          parentId: parent?.id ?? null,
          changedSince,
          ...where,
          scheduleId: request.scheduleId ?? null,
          setId: request.member?.setId ?? null,
        },
      });
      await tx.backup.update({ where: { id: backup.id }, data: { location: locate(backup.id) } });
      return tx.job.create({ data: { ...this.jobData('BACKUP', engine.id, backup.id, input, timeoutMs, actor), parentId: request.member?.parentJobId ?? null } });
    });
    await this.deps.audit.record(actor, 'backup.start', 'job', job.id, { engineId: engine.id, backupId: job.backupId, collections });
    return this.announce(job);
  }

  /** The plan startRestore would execute, without side effects (any scope may ask). */
  async planRestore(request: StartRestoreRequest, signal: AbortSignal = AbortSignal.timeout(PLAN_TIMEOUT_MS)): Promise<RestorePlan> {
    return planBackupRestore(this.deps, await this.backupOrThrow(request.backupId), request, signal);
  }

  async startRestore(request: StartRestoreRequest, actor: string): Promise<Job> {
    const backup = await this.backupOrThrow(request.backupId);
    requireCredentials(backup, request.credentials);
    const plan = await this.planRestore(request);
    enforcePlan(plan);
    const engine = await this.deps.engines.get(plan.engineId);
    const options = parsePluginOptions(this.deps.engines.plugin(engine.plugin), 'restore', request.options);
    const collections = plan.collections.filter((c) => c.action !== 'SKIP').map((c) => c.source);
    // An empty plan that was not refused is a backup made outside the gateway, restored whole.
    if (collections.length === 0 && plan.collections.length > 0) throw new GatewayError('invalid_input', 'every target exists and onExisting is SKIP: nothing to restore');
    const rename = Object.fromEntries(plan.collections.filter((c) => c.target !== c.source).map((c) => [c.source, c.target]));
    const dropExisting = (request.dropExisting ?? false) || plan.onExisting === 'REPLACE';
    const input: RestoreJobInput = {
      collections,
      rename,
      atomic: plan.atomic,
      dropExisting,
      plan,
      ...(options ? { options } : {}),
      ...(request.member?.holdSwap ? { holdSwap: true } : {}),
    };
    if (request.credentials && this.deps.storages) Object.assign(input, { storageCredentials: this.deps.storages.sealCredentials(request.credentials) });
    const timeoutMs = this.timeoutMs(request.timeoutSeconds);
    const targets = collections.map((name) => rename[name] ?? name);
    const job = await this.enqueueExclusive(engine, targets, (tx) =>
      tx.job.create({ data: { ...this.jobData('RESTORE', engine.id, backup.id, input, timeoutMs, actor), parentId: request.member?.parentJobId ?? null } }),
    );
    await this.deps.audit.record(actor, 'restore.start', 'job', job.id, { engineId: engine.id, backupId: backup.id, collections, rename, onExisting: plan.onExisting });
    return this.announce(job);
  }

  /**
   * The backup an INCREMENTAL one builds on: the newest COMPLETE logical backup of the engine holding every
   * requested collection. Its creation time is the cut: items changed after it go into the increment.
   */
  private async incrementalParent(engine: Engine, strategy: 'LOGICAL' | 'NATIVE', collections: string[] | null): Promise<Backup> {
    const plugin = this.deps.engines.plugin(engine.plugin);
    if (strategy !== 'LOGICAL' || !plugin.capabilities.includes('incrementalBackup')) {
      throw new GatewayError('incremental_not_supported', `The ${plugin.name} plugin has no incremental ${strategy.toLowerCase()} backup; use FULL`);
    }
    const candidates = await this.deps.prisma.backup.findMany({
      where: { engineId: engine.id, strategy: 'LOGICAL', status: 'COMPLETE' },
      orderBy: { createdAt: 'desc' },
      take: 50,
      include: { collections: { select: { name: true } } },
    });
    const parent = candidates.find((b) => collections === null || collections.every((name) => b.collections.some((c) => c.name === name)));
    if (!parent) {
      throw new GatewayError('invalid_input', `Engine "${engine.name}" has no complete backup of these collections to build an incremental one on; take a FULL backup first`);
    }
    return parent;
  }

  /** A VERIFY job; with restoreTest it holds the engine like a restore (one job per engine). */
  async startVerify(request: StartVerifyRequest, actor: string): Promise<Job> {
    const backup = await this.backupOrThrow(request.backupId);
    if (backup.status !== 'COMPLETE' && backup.status !== 'DAMAGED') {
      throw new GatewayError('backup_not_complete', `Backup "${backup.name}" is ${backup.status}; only COMPLETE or DAMAGED backups can be verified`);
    }
    if (backup.origin === 'ENGINE') {
      throw new GatewayError('capability_not_supported', `Backup "${backup.name}" is kept on the engine side; the gateway stores none of its files to verify`);
    }
    requireCredentials(backup, request.credentials);
    const storageCredentials = request.credentials && this.deps.storages ? this.deps.storages.sealCredentials(request.credentials) : null;
    const input = { restoreTest: request.restoreTest ?? false, engineId: null as string | null, ...(storageCredentials ? { storageCredentials } : {}) };
    const timeoutMs = this.timeoutMs(request.timeoutSeconds);
    let job: Job;
    /** The exact scratch collections the restore test creates and drops, for the audit log. */
    let scratch: string[] = [];
    if (input.restoreTest) {
      const engineId = request.engineId ?? backup.engineId;
      if (!engineId) throw new GatewayError('engine_not_found', `The engine of backup "${backup.name}" was removed; pass engineId for the restore test`);
      const engine = await this.deps.engines.get(engineId);
      if (engine.plugin !== backup.plugin)
        throw new GatewayError('plugin_mismatch', `Backup "${backup.name}" was made by the ${backup.plugin} plugin; engine "${engine.name}" uses ${engine.plugin}`);
      this.requireCapability(engine, backup.strategy === 'NATIVE' ? 'nativeRestore' : 'logicalRestore', 'run a restore test');
      // The scratch names the test will create and drop: refused here, before a job exists, when not valid.
      const names = (await this.deps.prisma.backupCollection.findMany({ where: { backupId: backup.id }, select: { name: true } })).map((c) => c.name);
      const plugin = this.deps.engines.plugin(engine.plugin);
      checkCollectionNames(plugin, names, `backup "${backup.name}"`);
      checkCollectionNames(
        plugin,
        names.map((name) => scratchName(name, '00000000')),
        'restore test',
      );
      input.engineId = engine.id;
      job = await this.enqueueExclusive(engine, [], (tx) =>
        tx.job.create({ data: { ...this.jobData('VERIFY', engine.id, backup.id, input, timeoutMs, actor), parentId: request.member?.parentJobId ?? null } }),
      );
      scratch = names.map((name) => scratchName(name, job.id.slice(0, 8)));
    } else {
      job = await this.deps.prisma.$transaction(async (tx) => {
        const created = await tx.job.create({
          data: { ...this.jobData('VERIFY', backup.engineId ?? '', backup.id, input, timeoutMs, actor), engineId: backup.engineId, parentId: request.member?.parentJobId ?? null },
        });
        await tx.jobEvent.create({ data: { jobId: created.id, status: 'QUEUED', phase: 'queued' } });
        return created;
      });
    }
    await this.deps.audit.record(actor, 'backup.verify', 'job', job.id, { backupId: backup.id, restoreTest: input.restoreTest, ...(input.restoreTest ? { scratch } : {}) });
    return this.announce(job);
  }

  /** A DELETE job (retention): removes the files and keeps the record as DELETED. One per backup at a time. */
  async startDelete(backupId: string, actor: string, reason: string): Promise<Job> {
    const backup = await this.backupOrThrow(backupId);
    const pending = await this.deps.prisma.job.findFirst({ where: { backupId, kind: 'DELETE', status: { in: ACTIVE_STATUSES } } });
    if (pending) return pending;
    const job = await this.deps.prisma.$transaction(async (tx) => {
      const created = await tx.job.create({ data: { ...this.jobData('DELETE', '', backup.id, { reason }, this.deps.defaultTimeoutMs, actor), engineId: backup.engineId } });
      await tx.jobEvent.create({ data: { jobId: created.id, status: 'QUEUED', phase: 'queued', message: reason } });
      return created;
    });
    await this.deps.audit.record(actor, 'backup.delete.start', 'job', job.id, { backupId, reason });
    return this.announce(job);
  }

  /** QUEUED ends CANCELED at once; RUNNING becomes CANCELING until the plugin has stopped. */
  async cancel(id: string, actor: string): Promise<Job> {
    const job = await this.get(id);
    if (isTerminal(job.status)) throw new GatewayError('job_already_finished', `Job ${job.id} already ended ${job.status}`);
    const { prisma } = this.deps;
    const queued = await prisma.job.updateMany({
      where: { id, status: 'QUEUED' },
      data: {
        status: 'CANCELED',
        cancelRequested: true,
        finishedAt: new Date(),
        errorCode: 'job_canceled',
        errorType: 'invalid_request',
        errorMessage: 'Canceled before it started',
      },
    });
    if (queued.count === 1) {
      if (job.kind === 'BACKUP' && job.backupId)
        await prisma.backup.update({ where: { id: job.backupId }, data: { status: 'FAILED', warnings: { push: 'canceled before it started' } } });
      await prisma.jobEvent.create({ data: { jobId: id, status: 'CANCELED', phase: 'canceled', message: `canceled by ${actor}` } });
    } else {
      await prisma.job.updateMany({ where: { id, status: 'RUNNING' }, data: { status: 'CANCELING', cancelRequested: true } });
      await prisma.jobEvent.create({ data: { jobId: id, status: 'CANCELING', phase: 'canceling', message: `cancel requested by ${actor}` } });
      this.deps.onCancelRequested(id);
    }
    // A set's parent job runs nothing itself: canceling it cancels its members, and it ends when they have.
    const children = await prisma.job.findMany({ where: { parentId: id, status: { in: ACTIVE_STATUSES } }, select: { id: true } });
    for (const child of children) await this.cancel(child.id, actor).catch(() => undefined);
    await this.deps.audit.record(actor, 'job.cancel', 'job', id);
    return this.announce(await this.get(id));
  }

  /** Collections being written by a running restore on the engine: locked (MAINTENANCE) until it ends. */
  async lockedCollections(engineId: string): Promise<Map<string, string>> {
    const restores = await this.deps.prisma.job.findMany({ where: { engineId, kind: 'RESTORE', status: { in: ACTIVE_STATUSES } } });
    const locked = new Map<string, string>();
    for (const job of restores) for (const target of restoreTargets(job)) locked.set(target, job.id);
    return locked;
  }

  /**
   * `touches`: the collections the new job reads or writes (null = all). A restore in progress locks its
   * target collections (`table_locked`, the analogue of MagnetoDB's 423); any other running job holds the engine.
   */
  private async enqueueExclusive(engine: Engine, touches: string[] | null, create: (tx: Prisma.TransactionClient) => Promise<Job>): Promise<Job> {
    await this.deps.upgrades?.refuseWhileUpgrading(engine);
    return this.deps.prisma.$transaction(async (tx) => {
      // The engine row lock serialises concurrent starts, across replicas too.
      await tx.$queryRaw`SELECT id FROM "Engine" WHERE id = ${engine.id} FOR UPDATE`;
      const running = await tx.job.findFirst({
        where: {
          engineId: engine.id,
          status: { in: ACTIVE_STATUSES },
          // A verification with a restore test writes to the engine too.
          OR: [{ kind: { in: EXCLUSIVE_KINDS } }, { kind: 'VERIFY', input: { path: ['restoreTest'], equals: true } }],
        },
      });
      if (running?.kind === 'RESTORE') {
        const targets = restoreTargets(running);
        const hit = touches === null ? targets : touches.filter((name) => targets.includes(name));
        if (hit.length > 0) {
          throw new GatewayError(
            'table_locked',
            `${hit
              .slice(0, 5)
              .map((n) => `"${n}"`)
              .join(', ')} on engine "${engine.name}" ${hit.length === 1 ? 'is' : 'are'} being restored by job ${running.id}; try again when it ends`,
            { details: { jobId: running.id, collections: hit } },
          );
        }
      }
      if (running) {
        throw new GatewayError(
          'job_already_in_progress',
          `Engine "${engine.name}" already has a ${running.kind.toLowerCase()} job ${running.id} (${running.status}); one backup or restore per engine at a time`,
          { details: { jobId: running.id } },
        );
      }
      const job = await create(tx);
      await tx.jobEvent.create({ data: { jobId: job.id, status: 'QUEUED', phase: 'queued' } });
      return job;
    });
  }

  private jobData(kind: JobKind, engineId: string, backupId: string, input: object, timeoutMs: number, actor: string) {
    return { kind, engineId, backupId, input, progress: { ...initialProgress() }, timeoutMs, createdBy: actor };
  }

  private announce(job: Job): Job {
    this.deps.bus.publish(job);
    if (job.status === 'QUEUED') this.deps.onEnqueued(job);
    return job;
  }

  private requireCapability(engine: Engine, capability: Capability, what: string): void {
    requireCapability(this.deps.engines.plugin(engine.plugin), capability, what);
  }

  private async backupOrThrow(id: string): Promise<Backup> {
    const backup = isUuid(id) ? await this.deps.prisma.backup.findUnique({ where: { id } }) : null;
    if (!backup || backup.status === 'DELETED') throw new GatewayError('backup_not_found', `No backup with id "${id.slice(0, 64)}"`);
    return backup;
  }

  private timeoutMs(seconds: number | null | undefined): number {
    if (seconds === null || seconds === undefined) return this.deps.defaultTimeoutMs;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 7 * 24 * 3600) {
      throw new GatewayError('invalid_input', 'timeoutSeconds must be an integer between 1 and 604800 (7 days)');
    }
    return seconds * 1000;
  }
}
