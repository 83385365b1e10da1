// Engine to engine copy (copyEngine, issue 16): one COPY job on the source engine asks the engine itself to send
// its collections to another registered engine of the same plugin (Meilisearch `POST /export`) and follows the
// engine's task as progress. Nothing passes through the gateway or its storage; no backup is cataloged.
import { z } from 'zod';
import type { Engine, Job, PrismaClient } from '../db/client.ts';
import type { AuditLog } from '../catalog/audit.ts';
import type { EngineService } from '../catalog/engines.ts';
import type { CopyCapability, EngineInstance, JobContext } from '../engines/contract.ts';
import { callPlugin } from '../engines/plugin-call.ts';
import { engineSecretValues, scrubbedError, scrubberFor } from '../engines/secret-scrub.ts';
import { ACTIVE_STATUSES } from '../db/job-status.ts';
import { GatewayError } from '../errors.ts';
import type { JobBus } from './job-bus.ts';
import { normaliseCollections } from './job-requests.ts';
import { initialProgress } from './progress.ts';

/** The checks before the job is queued (the source's version, the target's health) wait this long at most. */
const PREFLIGHT_TIMEOUT_MS = 15_000;
const MAX_FILTER_LENGTH = 10_000;

/** What a COPY job stores as its input: no secret, the target is read again when the job runs. */
export const CopyJobInput = z.object({
  targetEngineId: z.string(),
  collections: z.array(z.string()).nullable(),
  filter: z.string().nullable(),
});

export interface StartCopyRequest {
  sourceEngineId: string;
  targetEngineId: string;
  collections?: string[] | null;
  filter?: string | null;
  timeoutSeconds?: number | null;
}

export interface EngineCopiesDeps {
  prisma: PrismaClient;
  engines: EngineService;
  bus: JobBus;
  audit: AuditLog;
  defaultTimeoutMs: number;
  onEnqueued(job: Job): void;
  /** Refuses jobs on an engine that is upgrading (`engine_upgrading`). */
  upgrades?: { refuseWhileUpgrading(engine: Engine): Promise<void> };
}

function canCopy(instance: EngineInstance): instance is EngineInstance & CopyCapability {
  return typeof instance.copyToEngine === 'function' && typeof instance.copyUnavailable === 'function';
}

export class EngineCopies {
  constructor(private readonly deps: EngineCopiesDeps) {}

  /** copyEngine: checks everything it can before queueing one COPY job on the source engine. */
  async start(request: StartCopyRequest, actor: string): Promise<Job> {
    const { engines } = this.deps;
    if (request.sourceEngineId === request.targetEngineId) throw new GatewayError('invalid_input', 'The source and the target of a copy must be two different engines');
    const source = await engines.get(request.sourceEngineId);
    const target = await engines.get(request.targetEngineId);
    if (source.plugin !== target.plugin) {
      throw new GatewayError(
        'invalid_input',
        `A copy goes between engines of the same plugin (${source.plugin} → ${target.plugin}); across engines, back up and restore into the other engine`,
      );
    }
    const instance = engines.instance(source);
    if (!canCopy(instance)) throw new GatewayError('capability_not_supported', `The ${source.plugin} plugin cannot copy an engine into another one`);
    const collections = normaliseCollections(request.collections, engines.plugin(source.plugin));
    const filter = normaliseFilter(request.filter);
    await this.deps.upgrades?.refuseWhileUpgrading(source);
    await this.deps.upgrades?.refuseWhileUpgrading(target);
    const signal = AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS);
    const unavailable = await callPlugin(source.plugin, 'copyUnavailable', signal, () => instance.copyUnavailable(signal));
    if (unavailable !== null) throw new GatewayError('capability_not_supported', `Engine "${source.name}" cannot copy: ${unavailable}`);
    const health = await engines.instance(target).health(signal);
    if (!health.ok) throw new GatewayError('engine_unreachable', `Target engine "${target.name}" does not answer: ${health.message ?? 'not healthy'}`);

    const input: z.infer<typeof CopyJobInput> = { targetEngineId: target.id, collections, filter };
    const timeoutMs = request.timeoutSeconds ? request.timeoutSeconds * 1000 : this.deps.defaultTimeoutMs;
    const job = await this.deps.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "Engine" WHERE id IN (${source.id}, ${target.id}) FOR UPDATE`;
      // a restore or another copy writing into the target would race this one
      const busy = await tx.job.findFirst({
        where: {
          status: { in: ACTIVE_STATUSES },
          OR: [
            { engineId: target.id, kind: { in: ['RESTORE', 'COPY'] } },
            { kind: 'COPY', input: { path: ['targetEngineId'], equals: target.id } },
          ],
        },
      });
      if (busy) {
        throw new GatewayError('job_already_in_progress', `Engine "${target.name}" is being written by ${busy.kind.toLowerCase()} job ${busy.id}`, { details: { jobId: busy.id } });
      }
      const created = await tx.job.create({
        data: { kind: 'COPY', engineId: source.id, backupId: null, input, progress: { ...initialProgress() }, timeoutMs, createdBy: actor },
      });
      await tx.jobEvent.create({ data: { jobId: created.id, status: 'QUEUED', phase: 'queued', message: `copy engine "${source.name}" into engine "${target.name}"` } });
      return created;
    });
    await this.deps.audit.record(actor, 'engine.copy', 'job', job.id, { sourceEngineId: source.id, targetEngineId: target.id, collections, filter: filter !== null });
    this.deps.bus.publish(job);
    this.deps.onEnqueued(job);
    return job;
  }
}

function normaliseFilter(raw: string | null | undefined): string | null {
  const filter = raw?.trim() ?? '';
  if (filter.length === 0) return null;
  if (filter.length > MAX_FILTER_LENGTH) throw new GatewayError('invalid_input', `filter is longer than ${MAX_FILTER_LENGTH} characters`);
  return filter;
}

/** COPY: the source plugin sends to the target's config; every message is scrubbed of the target's secrets too. */
export async function runCopyJob(deps: { engines: EngineService }, job: Job, ctx: JobContext): Promise<string[]> {
  const input = CopyJobInput.parse(job.input);
  if (!job.engineId) throw new GatewayError('engine_not_found', 'The source engine of this copy was removed');
  const source = await deps.engines.get(job.engineId);
  const target = await deps.engines.get(input.targetEngineId);
  const instance = deps.engines.instance(source);
  if (!canCopy(instance) || source.plugin !== target.plugin) throw new GatewayError('capability_not_supported', `Engine "${source.name}" cannot copy into engine "${target.name}"`);
  const targetConfig = deps.engines.privateConfig(target);
  const clean = scrubberFor(engineSecretValues(targetConfig, deps.engines.plugin(target.plugin).secretKeys));
  try {
    const result = await callPlugin(source.plugin, 'copyToEngine', ctx.signal, () =>
      instance.copyToEngine({ target: targetConfig, collections: input.collections, filter: input.filter }, ctx),
    );
    const copied = result.collections.map((c) => `${c.name} (${c.documentCount ?? '?'} documents)`).join(', ');
    return [`copied into engine "${target.name}": ${copied || 'no collection'}`, ...result.warnings].map(clean);
  } catch (error) {
    throw scrubbedError(error, clean);
  }
}
