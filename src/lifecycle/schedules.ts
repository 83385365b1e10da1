// Backup schedules: cron (croner, seconds allowed) in a time zone, what to back up, where, and the retention to
// apply after each run. The loop that runs them is scheduler.ts.
import { Cron } from 'croner';
import type { PrismaClient, Schedule } from '../db/client.ts';
import { Prisma } from '../db/client.ts';
import type { AuditLog } from '../catalog/audit.ts';
import type { EngineService } from '../catalog/engines.ts';
import { isUuid } from '../catalog/engines.ts';
import { checkCollectionName, validateName, type NamedPlugin } from '../catalog/names.ts';
import { BUILTIN_STORAGE_ID, type StorageService } from '../catalog/storages.ts';
import { GatewayError } from '../errors.ts';
import { parseMembers, type SetMemberSpec } from '../jobs/backup-sets.ts';
import { parseRetentionPolicy } from './retention.ts';

export interface ScheduleInput {
  /** The engine to back up; absent for a schedule of a backup set (`set`). */
  engineId?: string | null;
  /** A schedule of a backup set: each slot starts the set with these members. */
  set?: { members: SetMemberSpec[] } | null;
  cron: string;
  timezone?: string | null;
  collections?: string[] | null;
  strategy?: 'LOGICAL' | 'NATIVE' | null;
  type?: 'FULL' | 'INCREMENTAL' | null;
  /** A registered storage location; the default one at each run when absent. */
  storageId?: string | null;
  retention?: unknown;
  name?: string | null;
  paused?: boolean | null;
}

export type ScheduleUpdate = Omit<Partial<ScheduleInput>, 'engineId' | 'set' | 'cron'> & { cron?: string | null };

type ScheduleFields = Pick<Prisma.ScheduleUncheckedCreateInput, 'collections' | 'strategy' | 'type' | 'storageId' | 'retention'>;

/** The library's own parser: an invalid pattern fails with `invalid_cron` and croner's message. */
export function parseCron(pattern: string, timezone: string): Cron {
  if (typeof pattern !== 'string' || pattern.trim() === '' || pattern.length > 256) throw new GatewayError('invalid_cron', 'cron must be a non-empty pattern of 5–7 fields');
  try {
    return new Cron(pattern.trim(), { timezone });
  } catch (error) {
    throw new GatewayError('invalid_cron', error instanceof Error ? error.message : String(error), { cause: error });
  }
}

export function validateTimezone(raw: string | null | undefined): string {
  const timezone = raw?.trim() || 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new GatewayError('invalid_timezone', `"${timezone.slice(0, 64)}" is not an IANA time zone (e.g. UTC, Europe/Paris)`);
  }
  return timezone;
}

/**
 * Refuses a cron that fires more often than `minIntervalMs` (GATEWAY_MIN_SCHEDULE_INTERVAL): a backup every
 * second fills the catalog and the engine's queue. The gaps between the next 60 slots are checked, so irregular
 * patterns (`0,1 3 * * *`) are caught as well as steady ones.
 */
export function checkInterval(cron: Cron, pattern: string, minIntervalMs: number): void {
  if (minIntervalMs <= 0) return;
  const runs = cron.nextRuns(60);
  for (let i = 1; i < runs.length; i++) {
    const gapMs = runs[i]!.getTime() - runs[i - 1]!.getTime();
    if (gapMs < minIntervalMs) {
      throw new GatewayError(
        'schedule_too_frequent',
        `cron "${pattern.slice(0, 64)}" fires ${formatMs(gapMs)} apart (at ${runs[i - 1]!.toISOString()} and ${runs[i]!.toISOString()}); ` +
          `schedules may fire at most every ${formatMs(minIntervalMs)} (GATEWAY_MIN_SCHEDULE_INTERVAL)`,
        { details: { cron: pattern.slice(0, 256), intervalSeconds: gapMs / 1000, minIntervalSeconds: minIntervalMs / 1000 } },
      );
    }
  }
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/** The next `count` slots after `from`. */
export function nextRuns(schedule: Pick<Schedule, 'cron' | 'timezone'>, count: number, from = new Date()): Date[] {
  return parseCron(schedule.cron, schedule.timezone).nextRuns(Math.min(Math.max(count, 1), 100), from);
}

/** The newest slot at or before `now`, or null. */
export function latestSlot(schedule: Pick<Schedule, 'cron' | 'timezone'>, now: Date): Date | null {
  // croner's previousRuns() excludes the reference instant itself.
  return parseCron(schedule.cron, schedule.timezone).previousRuns(1, new Date(now.getTime() + 1))[0] ?? null;
}

export class ScheduleService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      engines: EngineService;
      storages: StorageService;
      audit: AuditLog;
      onChange?: () => void;
      /** GATEWAY_MIN_SCHEDULE_INTERVAL; 0 allows any cron. */
      minIntervalMs?: number;
    },
  ) {}

  list(engineId?: string | null): Promise<Schedule[]> {
    return this.deps.prisma.schedule.findMany({ where: engineId ? { engineId } : {}, orderBy: { createdAt: 'asc' } });
  }

  find(id: string): Promise<Schedule | null> {
    return isUuid(id) ? this.deps.prisma.schedule.findUnique({ where: { id } }) : Promise.resolve(null);
  }

  async get(id: string): Promise<Schedule> {
    const schedule = await this.find(id);
    if (!schedule) throw new GatewayError('schedule_not_found', `No schedule with id "${id.slice(0, 64)}"`);
    return schedule;
  }

  async create(input: ScheduleInput, actor: string): Promise<Schedule> {
    if (Boolean(input.engineId) === Boolean(input.set)) throw new GatewayError('invalid_input', 'pass engineId or set, not both');
    const members = input.set ? parseMembers(input.set.members) : null;
    for (const member of members ?? []) await this.deps.engines.get(member.engineId);
    // A set schedule keeps its first member's engine as its engine (schedules list by engine).
    const engine = await this.deps.engines.get(members ? members[0]!.engineId : (input.engineId ?? ''));
    const timezone = validateTimezone(input.timezone);
    checkInterval(parseCron(input.cron, timezone), input.cron.trim(), this.deps.minIntervalMs ?? 0);
    const data = await this.#fields(input, this.deps.engines.plugin(engine.plugin));
    const schedule = await this.deps.prisma.schedule.create({
      data: {
        name: input.name ? validateName(input.name, 'schedule name') : `${engine.name} ${input.cron.trim()}`.slice(0, 128),
        engineId: engine.id,
        cron: input.cron.trim(),
        timezone,
        paused: input.paused ?? false,
        anchorAt: new Date(),
        createdBy: actor,
        ...data,
        ...(members ? { setMembers: members.map((m) => ({ engineId: m.engineId, collections: m.collections ?? null, strategy: m.strategy ?? null })) } : {}),
      },
    });
    await this.deps.audit.record(actor, 'schedule.create', 'schedule', schedule.id, { engineId: engine.id, set: members !== null, cron: schedule.cron, timezone });
    this.deps.onChange?.();
    return schedule;
  }

  async update(id: string, input: ScheduleUpdate, actor: string): Promise<Schedule> {
    const current = await this.get(id);
    const timezone = input.timezone !== undefined && input.timezone !== null ? validateTimezone(input.timezone) : current.timezone;
    const cron = input.cron !== undefined && input.cron !== null ? input.cron.trim() : current.cron;
    const parsed = parseCron(cron, timezone);
    if (cron !== current.cron || timezone !== current.timezone) checkInterval(parsed, cron, this.deps.minIntervalMs ?? 0);
    const plugin = this.deps.engines.plugin((await this.deps.engines.get(current.engineId)).plugin);
    const data: Prisma.ScheduleUncheckedUpdateInput = { ...(await this.#fields(input, plugin)), cron, timezone };
    if (input.name) data.name = validateName(input.name, 'schedule name');
    // A new timing counts from now: slots of the old one are not "missed".
    if (cron !== current.cron || timezone !== current.timezone) data.anchorAt = new Date();
    if (input.paused !== undefined && input.paused !== null && input.paused !== current.paused) Object.assign(data, this.#pausedFields(input.paused));
    const schedule = await this.deps.prisma.schedule.update({ where: { id }, data });
    await this.deps.audit.record(actor, 'schedule.update', 'schedule', id, { fields: Object.keys(input) });
    this.deps.onChange?.();
    return schedule;
  }

  /** Paused schedules skip their slots; resuming counts slots from now (the paused ones are not run). */
  async pause(id: string, paused: boolean, actor: string): Promise<Schedule> {
    await this.get(id);
    const schedule = await this.deps.prisma.schedule.update({ where: { id }, data: this.#pausedFields(paused) });
    await this.deps.audit.record(actor, paused ? 'schedule.pause' : 'schedule.resume', 'schedule', id);
    this.deps.onChange?.();
    return schedule;
  }

  async delete(id: string, actor: string): Promise<boolean> {
    const schedule = await this.get(id);
    await this.deps.prisma.schedule.delete({ where: { id } });
    await this.deps.audit.record(actor, 'schedule.delete', 'schedule', id, { name: schedule.name });
    this.deps.onChange?.();
    return true;
  }

  /** A person pausing clears the gateway's reason; resuming also starts the failure count afresh. */
  #pausedFields(paused: boolean): Prisma.ScheduleUncheckedUpdateInput {
    return paused ? { paused: true, pausedReason: null } : { paused: false, anchorAt: new Date(), consecutiveFailures: 0, pausedReason: null };
  }

  /** The optional fields shared by create and update, validated. */
  async #fields(input: ScheduleUpdate, plugin: NamedPlugin): Promise<ScheduleFields> {
    const data: Record<string, unknown> = {};
    if (input.collections !== undefined && input.collections !== null) {
      if (input.collections.length > 10_000) throw new GatewayError('invalid_input', 'at most 10000 collections per schedule');
      data.collections = [...new Set(input.collections.map((name) => checkCollectionName(plugin, name)))];
    }
    if (input.strategy) data.strategy = input.strategy;
    if (input.type) data.type = input.type;
    if (input.storageId !== undefined) {
      if (input.storageId === null || input.storageId === BUILTIN_STORAGE_ID) data.storageId = null;
      else data.storageId = (await this.deps.storages.get(input.storageId)).id;
    }
    if (input.retention !== undefined) data.retention = input.retention === null ? Prisma.DbNull : parseRetentionPolicy(input.retention);
    return data as ScheduleFields;
  }
}
