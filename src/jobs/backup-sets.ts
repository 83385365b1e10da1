// Backup sets: several engines backed up, verified, restored and deleted together under one parent job
// (job-tree.ts aggregates the members). The members are ordinary backups and jobs; the set ties them together.
import { z } from 'zod';
import type { Backup, BackupSet, Job, PrismaClient } from '../db/client.ts';
import type { AuditLog } from '../catalog/audit.ts';
import type { CatalogPage } from '../catalog/backups.ts';
import { isUuid, type EngineService } from '../catalog/engines.ts';
import { validateName } from '../catalog/names.ts';
import { ACTIVE_STATUSES } from '../db/job-status.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import type { JobBus } from './job-bus.ts';
import type { JobService } from './job-service.ts';
import { validateLabels, type SetMembership, type StartRestoreRequest } from './job-requests.ts';
import { aggregateProgress, type ParentJobInput } from './job-tree.ts';
import type { OnExisting, RestorePlan } from './restore-plan.ts';

/** One member as asked: an engine, its collections (null = all) and the strategy (the plugin's default when null). */
export const SetMemberSpec = z.object({
  engineId: z.string().min(1).max(64),
  collections: z.array(z.string()).nullable().optional(),
  strategy: z.enum(['LOGICAL', 'NATIVE']).nullable().optional(),
});
export type SetMemberSpec = z.infer<typeof SetMemberSpec>;

export interface StartBackupSetRequest {
  name: string;
  members: SetMemberSpec[];
  labels?: unknown;
  timeoutSeconds?: number | null;
  /** Set when a schedule starts the set: every member backup carries it (retention, failure counts). */
  scheduleId?: string | null;
}

/** Per member of a set restore: the target engine (the member's own when absent) and the usual selection. */
export interface SetRestoreMemberRequest {
  backupId: string;
  engineId?: string | null;
  collections?: string[] | null;
  rename?: Array<{ from: string; to: string }> | null;
  suffix?: string | null;
}

export interface SetRestoreRequest {
  setId: string;
  members?: SetRestoreMemberRequest[] | null;
  overwrite?: boolean | null;
  onExisting?: OnExisting | null;
  suffix?: string | null;
  timeoutSeconds?: number | null;
}

/** How a member's restore reaches the engine: into a staging copy swapped in at its end, or directly. */
export type MemberStaging = 'STAGED' | 'DIRECT';

export interface SetRestorePlanMember {
  backupId: string;
  engineId: string;
  staging: MemberStaging;
  note: string;
  plan: RestorePlan;
}

export interface SetRestorePlan {
  setId: string;
  members: SetRestorePlanMember[];
  /** True when every member is staged: a member failing leaves every live collection untouched. */
  allStaged: boolean;
  notes: string[];
}

export const MAX_SET_MEMBERS = 32;

export interface BackupSetDeps {
  prisma: PrismaClient;
  engines: EngineService;
  jobs: JobService;
  bus: JobBus;
  audit: AuditLog;
  /** Deletes one backup as a DELETE job (jobs/delete-now.ts). */
  deleteBackup: (backupId: string, actor: string) => Promise<Backup>;
  /** Jobs one runner runs at once (GATEWAY_JOB_CONCURRENCY): more members than this are not held together. */
  concurrency: number;
}

export class BackupSetService {
  constructor(private readonly deps: BackupSetDeps) {}

  find(id: string): Promise<BackupSet | null> {
    return isUuid(id) ? this.deps.prisma.backupSet.findUnique({ where: { id } }) : Promise.resolve(null);
  }

  async get(id: string): Promise<BackupSet> {
    const set = await this.find(id);
    if (!set) throw new GatewayError('backup_set_not_found', `No backup set with id "${id.slice(0, 64)}"`);
    return set;
  }

  /** Deleted sets only show when asked for, like backups. */
  page(includeDeleted: boolean, page: CatalogPage): Promise<[BackupSet[], number]> {
    const where = includeDeleted ? {} : { status: { not: 'DELETED' as const } };
    return Promise.all([this.deps.prisma.backupSet.findMany({ where, ...page }), this.deps.prisma.backupSet.count({ where })]);
  }

  members(setId: string): Promise<Backup[]> {
    return this.deps.prisma.backup.findMany({ where: { setId }, orderBy: { createdAt: 'asc' } });
  }

  /** One BACKUP job per member, all started now under one parent job; refused whole if any member cannot start. */
  async start(request: StartBackupSetRequest, actor: string): Promise<Job> {
    const name = validateName(request.name, 'backup set name');
    const members = parseMembers(request.members);
    const labels = validateLabels(request.labels);
    for (const member of members) await this.deps.engines.get(member.engineId);
    const { set, parent } = await this.createParent('BACKUP', actor, members.length, (setId) => ({ setId }), {
      name,
      labels: labels ?? undefined,
      members: members.map((m) => ({ engineId: m.engineId, collections: m.collections ?? null, strategy: m.strategy ?? null })),
    });
    await this.startChildren(parent, set, (member) =>
      members.map(
        (m) => () =>
          this.deps.jobs.startBackup(
            {
              engineId: m.engineId,
              collections: m.collections ?? null,
              strategy: m.strategy ?? null,
              labels: { ...labels, set: name },
              timeoutSeconds: request.timeoutSeconds ?? null,
              scheduleId: request.scheduleId ?? null,
              member,
            },
            actor,
          ),
      ),
    );
    await this.deps.audit.record(actor, 'backup_set.start', 'backup_set', set.id, { jobId: parent.id, engines: members.map((m) => m.engineId) });
    return parent;
  }

  /** A VERIFY job per member backup that can be verified, under one parent; the set is verified when all pass. */
  async verify(setId: string, actor: string): Promise<Job> {
    const set = await this.live(setId);
    const backups = (await this.members(set.id)).filter((b) => b.status === 'COMPLETE' || b.status === 'DAMAGED');
    if (backups.length === 0) throw new GatewayError('backup_not_complete', `Backup set "${set.name}" has no complete member to verify`);
    const { parent } = await this.createParent('VERIFY', actor, backups.length, () => ({ setId: set.id }));
    await this.startChildren(parent, set, (member) => backups.map((b) => () => this.deps.jobs.startVerify({ backupId: b.id, member }, actor)));
    await this.deps.audit.record(actor, 'backup_set.verify', 'backup_set', set.id, { jobId: parent.id });
    return parent;
  }

  /** One plan per member, each against its target engine; nothing is written. */
  async plan(request: SetRestoreRequest): Promise<SetRestorePlan> {
    const set = await this.live(request.setId);
    const requests = await this.memberRequests(set, request);
    const members: SetRestorePlanMember[] = [];
    for (const member of requests) {
      const plan = await this.deps.jobs.planRestore(member);
      const engine = await this.deps.engines.get(plan.engineId);
      const staged = plan.strategy === 'LOGICAL' && plan.atomic && this.deps.engines.plugin(engine.plugin).awaitsSetSwap === true;
      members.push({
        backupId: plan.backupId,
        engineId: plan.engineId,
        staging: staged ? 'STAGED' : 'DIRECT',
        note: staged
          ? `filled into staging copies on "${engine.name}", swapped in only when every staged member is filled`
          : plan.strategy === 'NATIVE'
            ? `the ${engine.plugin} engine restores its native backup in place: it cannot stage, so this member is not all-or-nothing`
            : `the ${engine.plugin} engine has no swap${plan.atomic ? ' (an atomic restore creates only absent collections and drops them on failure)' : ''}: this member does not wait for the others`,
        plan,
      });
    }
    const allStaged = members.every((m) => m.staging === 'STAGED');
    const held = members.length <= this.deps.concurrency;
    const notes = [
      allStaged && held
        ? 'all or nothing: every member fills its staging copies first; they swap in only when all are filled, and a member failing before that rolls every member back'
        : allStaged
          ? `not held together: ${members.length} members exceed GATEWAY_JOB_CONCURRENCY (${this.deps.concurrency}), so each swaps in when its own data is complete`
          : `not all-or-nothing: ${members.filter((m) => m.staging === 'DIRECT').length} member(s) cannot stage (see their notes); staged members swap in when their own data is complete`,
      'each swap is its own engine operation: a failure during one member swap cannot undo another engine that already swapped',
    ];
    return { setId: set.id, members, allStaged, notes };
  }

  /** One RESTORE job per member under one parent job, each executing its member's plan. */
  async restore(request: SetRestoreRequest, actor: string): Promise<Job> {
    const set = await this.live(request.setId);
    const plan = await this.plan(request);
    const refused = plan.members.filter((m) => m.plan.verdict === 'REFUSED');
    if (refused.length > 0) {
      const first = refused[0]!.plan.refusals[0];
      throw new GatewayError('restore_refused', `Set restore refused: ${first?.message ?? 'a member plan was refused'}`, { details: { backups: refused.map((m) => m.backupId) } });
    }
    const requests = await this.memberRequests(set, request);
    const { parent } = await this.createParent('RESTORE', actor, requests.length, () => ({ setId: set.id }));
    // Members wait for each other only when all can stage and all can run at once (else a waiting member could hold
    // the runner slot a sibling needs).
    const holdSwap = plan.allStaged && requests.length <= this.deps.concurrency;
    await this.startChildren(parent, set, (member) => requests.map((r) => () => this.deps.jobs.startRestore({ ...r, member: { ...member, holdSwap } }, actor)));
    await this.deps.audit.record(actor, 'backup_set.restore', 'backup_set', set.id, { jobId: parent.id });
    return parent;
  }

  /** Deletes every member but the pinned ones (kept, still listed under the set), then marks the set DELETED. */
  async delete(setId: string, actor: string): Promise<BackupSet> {
    const set = await this.live(setId);
    const busy = await this.deps.prisma.job.findFirst({ where: { status: { in: ACTIVE_STATUSES }, OR: [{ id: set.jobId ?? '' }, { backup: { setId: set.id } }] } });
    if (busy) throw new GatewayError('backup_in_use', `Backup set "${set.name}" has a running job ${busy.id}; try again when it ends`, { details: { jobId: busy.id } });
    const kept: string[] = [];
    for (const backup of await this.members(set.id)) {
      if (backup.pinned) kept.push(backup.id);
      else if (backup.status !== 'DELETED') await this.deps.deleteBackup(backup.id, actor);
    }
    const deleted = await this.deps.prisma.backupSet.update({ where: { id: set.id }, data: { status: 'DELETED', deletedAt: new Date() } });
    await this.deps.audit.record(actor, 'backup_set.delete', 'backup_set', set.id, { keptPinned: kept });
    return deleted;
  }

  /** The parent job ended (job-tree.ts): the set's status and totals, or its verification time. */
  async parentEnded(parent: Job, children: Job[]): Promise<void> {
    const setId = (parent.input as Partial<ParentJobInput> | null)?.setId;
    if (!setId) return;
    const { prisma } = this.deps;
    if (parent.kind === 'VERIFY' && parent.status === 'SUCCEEDED') {
      await prisma.backupSet.update({ where: { id: setId }, data: { verifiedAt: new Date() } });
      return;
    }
    if (parent.kind !== 'BACKUP') return;
    const succeeded = children.filter((c) => c.status === 'SUCCEEDED').length;
    const status = succeeded === children.length ? 'COMPLETE' : succeeded === 0 ? 'FAILED' : 'PARTIAL';
    await prisma.backupSet.updateMany({ where: { id: setId, status: 'PENDING' }, data: { status, completedAt: new Date() } });
  }

  /**
   * After a restart: sets whose parent job ended without recording them (the embedded database ends every RUNNING
   * job of a dead process) get their status from their members' backups.
   */
  async settleLeftovers(): Promise<number> {
    const { prisma } = this.deps;
    const pending = await prisma.backupSet.findMany({ where: { status: 'PENDING' } });
    let settled = 0;
    for (const set of pending) {
      const parent = set.jobId ? await prisma.job.findUnique({ where: { id: set.jobId } }) : null;
      if (parent && !['SUCCEEDED', 'FAILED', 'CANCELED'].includes(parent.status)) continue;
      const backups = await this.members(set.id);
      const complete = backups.filter((b) => b.status === 'COMPLETE').length;
      const status = complete > 0 && complete === backups.length && backups.length === (set.members as unknown[]).length ? 'COMPLETE' : complete > 0 ? 'PARTIAL' : 'FAILED';
      await prisma.backupSet.updateMany({ where: { id: set.id, status: 'PENDING' }, data: { status, completedAt: new Date() } });
      settled++;
    }
    return settled;
  }

  private async live(setId: string): Promise<BackupSet> {
    const set = await this.get(setId);
    if (set.status === 'DELETED') throw new GatewayError('backup_set_not_found', `Backup set "${set.name}" is deleted`);
    return set;
  }

  /** Member restore requests: as asked, or every COMPLETE member into its own engine. */
  private async memberRequests(set: BackupSet, request: SetRestoreRequest): Promise<StartRestoreRequest[]> {
    const backups = await this.members(set.id);
    const common = { overwrite: request.overwrite ?? null, onExisting: request.onExisting ?? null, timeoutSeconds: request.timeoutSeconds ?? null };
    const asked: SetRestoreMemberRequest[] = request.members ?? backups.filter((b) => b.status === 'COMPLETE').map((b) => ({ backupId: b.id }));
    if (asked.length === 0) throw new GatewayError('backup_not_complete', `Backup set "${set.name}" has no complete member to restore`);
    const ids = new Set(backups.map((b) => b.id));
    const outside = asked.filter((m) => !ids.has(m.backupId));
    if (outside.length > 0) throw new GatewayError('backup_not_found', `Backup ${outside[0]!.backupId.slice(0, 64)} is not a member of backup set "${set.name}"`);
    return asked.map((m) => ({ ...common, ...m, suffix: m.suffix ?? request.suffix ?? null }));
  }

  private async createParent(
    kind: 'BACKUP' | 'RESTORE' | 'VERIFY',
    actor: string,
    members: number,
    input: (setId: string) => Omit<ParentJobInput, 'members'>,
    newSet?: { name: string; labels: Record<string, string> | undefined; members: object[] },
  ): Promise<{ set: BackupSet; parent: Job }> {
    const { prisma } = this.deps;
    const result = await prisma.$transaction(async (tx) => {
      const set = newSet ? await tx.backupSet.create({ data: { name: newSet.name, labels: newSet.labels, members: newSet.members, createdBy: actor } }) : null;
      const parent = await tx.job.create({
        data: {
          kind,
          status: 'RUNNING',
          startedAt: new Date(),
          input: { ...input(set?.id ?? ''), ...(set ? { setId: set.id } : {}), members },
          progress: { ...aggregateProgress([], members) },
          timeoutMs: 0,
          createdBy: actor,
        },
      });
      await tx.jobEvent.create({ data: { jobId: parent.id, status: 'RUNNING', phase: 'started', message: `${members} member job(s)` } });
      if (set) await tx.backupSet.update({ where: { id: set.id }, data: { jobId: parent.id } });
      return { set, parent };
    });
    this.deps.bus.publish(result.parent);
    const setId = (result.parent.input as unknown as ParentJobInput).setId ?? '';
    return { set: result.set ?? (await this.get(setId)), parent: result.parent };
  }

  /** Starts each member job; if one cannot start, those started are canceled and the parent ends FAILED with its error. */
  private async startChildren(parent: Job, set: BackupSet, starts: (member: SetMembership) => Array<() => Promise<Job>>): Promise<void> {
    const member: SetMembership = { setId: parent.kind === 'BACKUP' ? set.id : null, parentJobId: parent.id };
    const started: Job[] = [];
    try {
      for (const start of starts(member)) started.push(await start());
    } catch (thrown) {
      const error = toGatewayError(thrown);
      for (const job of started) await this.deps.jobs.cancel(job.id, 'system').catch(() => undefined);
      const { prisma } = this.deps;
      await prisma.job.updateMany({
        where: { id: parent.id, status: 'RUNNING' },
        data: { status: 'FAILED', finishedAt: new Date(), errorCode: error.code, errorType: error.type, errorMessage: `a member could not start: ${error.message}` },
      });
      if (parent.kind === 'BACKUP') await prisma.backupSet.update({ where: { id: set.id }, data: { status: 'FAILED' } });
      const ended = await prisma.job.findUnique({ where: { id: parent.id } });
      if (ended) this.deps.bus.publish(ended);
      throw error;
    }
  }
}

/** The members of a set as asked: 1–32, one per engine. */
export function parseMembers(raw: unknown): SetMemberSpec[] {
  const parsed = z.array(SetMemberSpec).safeParse(raw);
  if (!parsed.success) throw new GatewayError('invalid_input', `members: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const members = parsed.data;
  if (members.length === 0 || members.length > MAX_SET_MEMBERS) throw new GatewayError('invalid_input', `a backup set has 1 to ${MAX_SET_MEMBERS} members`);
  const engines = members.map((m) => m.engineId);
  const twice = engines.find((id, i) => engines.indexOf(id) !== i);
  if (twice) throw new GatewayError('invalid_input', `engine ${twice.slice(0, 64)} is named twice; one member per engine (one job per engine at a time)`);
  return members;
}
