// The restore plan: computed by the core from the backup's catalog and a live look at the target engine (facts
// the plugin contributes), shown by planRestore and the CLI's --dry-run, recorded on the job, and executed as
// it is by startRestore. Nothing here writes anything.
import { z } from 'zod';
import type { Backup, Engine } from '../db/client.ts';
import type { EngineInstance, PlannedRestoreItem, RestoreFacts, RestoreFactsRequest } from '../engines/contract.ts';
import type { ArchiveReader } from '../storage/archive-types.ts';
import { isStagingName, stagingName } from '../engines/restore-kit.ts';
import { GatewayError, type ErrorCode } from '../errors.ts';
import { callPlugin } from '../engines/plugin-call.ts';

export const ON_EXISTING = ['FAIL', 'REPLACE', 'SKIP', 'APPLY'] as const;
export type OnExisting = (typeof ON_EXISTING)[number];

const Refusal = z.object({ code: z.string(), message: z.string(), collections: z.array(z.string()) });
export type RestoreRefusal = z.infer<typeof Refusal>;

const PlannedCollection = z.object({
  source: z.string(),
  target: z.string(),
  action: z.enum(['CREATE', 'REPLACE', 'APPLY', 'SKIP']),
  liveDocuments: z.number().nullable(),
  backupDocuments: z.number().nullable(),
  bytes: z.number().nullable(),
  reasons: z.array(z.string()),
});
export type PlannedCollection = z.infer<typeof PlannedCollection>;

const CrossEngineCollection = z.object({
  source: z.string(),
  target: z.string(),
  primaryKey: z.string().nullable(),
  fields: z.array(
    z.object({ name: z.string(), type: z.string(), roles: z.array(z.string()), dims: z.number().optional(), inferred: z.boolean().optional(), optional: z.boolean().optional() }),
  ),
  conversions: z.array(z.string()),
  notCarried: z.array(z.string()),
});
/** A restore into another engine than the backup's: the neutral mapping of every collection (engines/cross-engine.ts). */
export const CrossEnginePlan = z.object({ sourcePlugin: z.string(), targetPlugin: z.string(), collections: z.array(CrossEngineCollection) });
export type CrossEnginePlan = z.infer<typeof CrossEnginePlan>;

/** The stored shape (Job.input.plan): read back with zod. */
export const RestorePlanSchema = z.object({
  backupId: z.string(),
  engineId: z.string(),
  strategy: z.enum(['LOGICAL', 'NATIVE']),
  atomic: z.boolean(),
  onExisting: z.enum(ON_EXISTING),
  collections: z.array(PlannedCollection),
  sourceEngineVersion: z.string().nullable(),
  targetEngineVersion: z.string().nullable(),
  verdict: z.enum(['OK', 'CONVERTED', 'REFUSED']),
  conversions: z.array(z.string()),
  warnings: z.array(z.string()),
  refusals: z.array(Refusal),
  estimatedSeconds: z.number().nullable(),
  /** Set when the target engine's plugin differs from the backup's. */
  crossEngine: CrossEnginePlan.optional(),
});
export type RestorePlan = z.infer<typeof RestorePlanSchema>;

export interface PlanInput {
  backup: Backup;
  engine: Engine;
  instance: EngineInstance;
  /** Every collection the catalog holds for the backup. */
  catalog: Array<{ name: string; documentCount: number | null; bytes: number | null }>;
  /** The selection (null = every collection of the backup). */
  collections: string[] | null;
  rename: Array<{ from: string; to: string }>;
  /** Appended to every target not renamed explicitly. */
  suffix: string | null;
  atomic: boolean;
  onExisting: OnExisting;
  signal: AbortSignal;
  /**
   * The catalog lists no collections of this backup (made outside the gateway) and the plugin can restore such a
   * backup whole: an empty selection means all of it, and named collections are checked by the engine.
   */
  unlisted?: boolean;
  /** The engine's name rule: every target (after renames and suffix) passes it before the engine is asked. */
  checkName: (name: string, where: string) => void;
  /** Opens the backup's archive for the plugin to read (logical backups); null when it cannot be opened. */
  openArchive?: () => Promise<ArchiveReader | null>;
  /** The plugin's expandSelection over this catalog (patterns such as Milvus `db.*`), when it has one. */
  expand?: (entry: string, renameTo: string | null) => Array<{ source: string; target: string }> | null;
}

/** Rough rates for estimatedSeconds: an order of magnitude for people, never a promise. */
const DOCS_PER_SECOND = 5_000;
const BYTES_PER_SECOND = 20 * 1024 * 1024;

export async function computeRestorePlan(input: PlanInput): Promise<RestorePlan> {
  const refusals: RestoreRefusal[] = [];
  const refuse = (code: ErrorCode, message: string, collections: string[] = []) => refusals.push({ code, message, collections });
  const known = new Map(input.catalog.map((c) => [c.name, c]));
  const { selection, rename } = expandPatterns(input, input.collections ?? input.catalog.map((c) => c.name));
  if (selection.length === 0 && !input.unlisted) refuse('invalid_input', `Backup "${input.backup.name}" holds no collections to restore`);
  const unknown = input.unlisted ? [] : selection.filter((name) => !known.has(name));
  if (unknown.length > 0) refuse('collection_not_found', `Backup "${input.backup.name}" has no collection ${unknown.map((n) => `"${n}"`).join(', ')}`, unknown);

  const targets = resolveTargets(selection, rename, input.suffix, refuse);
  for (const target of targets.values()) input.checkName(target, 'restore target');
  const items = selection.map((source) => ({ source, target: targets.get(source) ?? source }));
  const facts = await targetFacts(input, selection, [...targets.values()], items);
  refusals.push(...facts.refusals.map((message) => ({ code: 'restore_refused', message, collections: [] })));
  const warnings = [...facts.warnings];
  if (input.unlisted)
    warnings.push(
      `the engine did not list the collections of backup "${input.backup.name}" (made outside the gateway): ${selection.length === 0 ? 'it is restored whole, into its own collection names' : 'the engine checks the named collections'}`,
    );
  const existing = facts.existing === null ? null : new Map(facts.existing.map((e) => [e.name, e.documentCount]));
  if (existing === null) warnings.push('the engine cannot tell which target collections exist: a target that exists makes the restore fail unless overwrite is given');

  const collections: PlannedCollection[] = selection.map((source) => {
    const target = targets.get(source) ?? source;
    const entry = known.get(source);
    const base = { source, target, backupDocuments: entry?.documentCount ?? null, bytes: entry?.bytes ?? null };
    if (entry === undefined && !input.unlisted) return { ...base, action: 'SKIP', liveDocuments: null, reasons: ['not in the backup'] };
    if (existing === null) return { ...base, action: 'CREATE', liveDocuments: null, reasons: ['existence unknown: the engine cannot list live collections'] };
    if (!existing.has(target)) return { ...base, action: 'CREATE', liveDocuments: null, reasons: [`${target} does not exist: created`] };
    const live = existing.get(target) ?? null;
    const holds = `${target} exists (${live ?? 'unknown number of'} documents)`;
    switch (input.onExisting) {
      case 'SKIP':
        return { ...base, action: 'SKIP', liveDocuments: live, reasons: [`${holds}: left as it is (onExisting: SKIP)`] };
      case 'APPLY':
        return { ...base, action: 'APPLY', liveDocuments: live, reasons: [`${holds}: the backup's items are written on top, nothing deleted`] };
      case 'REPLACE':
        return {
          ...base,
          action: 'REPLACE',
          liveDocuments: live,
          reasons: [`${holds}: replaced ${input.atomic ? 'atomically (filled aside, then swapped in)' : 'in place (dropped, then refilled)'}`],
        };
      default:
        return { ...base, action: 'REPLACE', liveDocuments: live, reasons: [`${holds}: replaced only with overwrite: true`] };
    }
  });

  const replaced = collections.filter((c) => c.action === 'REPLACE').map((c) => c.target);
  if (replaced.length > 0 && input.onExisting === 'FAIL') {
    refuse(
      'target_exists',
      `${replaced.map((n) => `"${n}"`).join(', ')} already exist(s) on engine "${input.engine.name}": pass overwrite: true to replace, or restore under new names (rename, suffix)`,
      replaced,
    );
  }
  if (replaced.length > 0 && input.atomic && !facts.atomicReplace) {
    refuse(
      'capability_not_supported',
      `The ${input.engine.plugin} engine cannot replace an existing collection atomically (${replaced.join(', ')}): restore with atomic: false, or under new names`,
      replaced,
    );
  }
  const applied = collections.filter((c) => c.action === 'APPLY').map((c) => c.target);
  if (applied.length > 0 && !facts.canApply) {
    refuse('capability_not_supported', `The ${input.engine.plugin} engine cannot write a backup on top of existing collections (${applied.join(', ')})`, applied);
  }
  if (collections.length > 0 && collections.every((c) => c.action === 'SKIP') && unknown.length === 0)
    warnings.push('every target exists and is skipped: the restore changes nothing');

  const moving = collections.filter((c) => c.action !== 'SKIP');
  const docs = moving.reduce((sum, c) => sum + (c.backupDocuments ?? 0), 0);
  const bytes = moving.reduce((sum, c) => sum + (c.bytes ?? 0), 0);
  return {
    backupId: input.backup.id,
    engineId: input.engine.id,
    strategy: input.backup.strategy,
    atomic: input.atomic,
    onExisting: input.onExisting,
    collections,
    sourceEngineVersion: input.backup.engineVersion,
    targetEngineVersion: facts.engineVersion,
    verdict: refusals.length > 0 ? 'REFUSED' : facts.conversions.length > 0 ? 'CONVERTED' : 'OK',
    conversions: facts.conversions,
    warnings,
    refusals,
    estimatedSeconds: Math.max(1, Math.ceil(Math.max(docs / DOCS_PER_SECOND, bytes / BYTES_PER_SECOND))),
  };
}

/**
 * Selection patterns (Milvus `db.*`) replaced by the collections they stand for, each renamed as the pattern's
 * rename says. A pattern with no member stays when the catalog lists nothing (the engine restores it whole) and
 * is refused as unknown otherwise.
 */
function expandPatterns(input: PlanInput, entries: string[]): { selection: string[]; rename: PlanInput['rename'] } {
  const selection: string[] = [];
  let rename = input.rename;
  for (const entry of entries) {
    const renameTo = rename.find((r) => r.from === entry)?.to ?? null;
    const members = input.expand?.(entry, renameTo) ?? null;
    if (members === null || (members.length === 0 && input.unlisted)) {
      selection.push(entry);
      continue;
    }
    if (members.length === 0) selection.push(entry);
    selection.push(...members.map((m) => m.source).filter((source) => !selection.includes(source)));
    rename = [...rename.filter((r) => r.from !== entry || members.length === 0), ...members.filter((m) => m.target !== m.source).map((m) => ({ from: m.source, to: m.target }))];
  }
  return { selection, rename };
}

/** Source → target after renames and suffix; collisions and staging names are refusals. */
function resolveTargets(
  selection: string[],
  rename: PlanInput['rename'],
  suffix: string | null,
  refuse: (code: ErrorCode, message: string, collections?: string[]) => void,
): Map<string, string> {
  const targets = new Map<string, string>();
  for (const { from, to } of rename) {
    if (!selection.includes(from)) refuse('collection_not_found', `rename.from "${from.slice(0, 64)}" is not among the collections being restored`, [from]);
    else if (targets.has(from)) refuse('invalid_input', `"${from}" is renamed twice`, [from]);
    else targets.set(from, to);
  }
  for (const source of selection) if (!targets.has(source)) targets.set(source, suffix ? `${source}${suffix}` : source);
  const bySource = new Map<string, string[]>();
  for (const [source, target] of targets) bySource.set(target, [...(bySource.get(target) ?? []), source]);
  for (const [target, sources] of bySource) {
    if (isStagingName(target)) refuse('invalid_name', `"${target.slice(0, 64)}" is a restore staging name; choose another target`, [target]);
    if (sources.length < 2) continue;
    const keeps = sources.find((s) => s === target);
    if (keeps !== undefined) {
      refuse('invalid_input', `rename collision: ${sources.filter((s) => s !== target).join(', ')} renamed to "${target}", which ${keeps} is restored as too`, [target]);
    } else {
      refuse('invalid_input', `two collections would be restored into "${target}" (${sources.join(', ')})`, [target]);
    }
  }
  return targets;
}

/** The plugin's facts; plugins without restoreFacts get them from health and listCollections. */
async function targetFacts(input: PlanInput, sources: string[], targets: string[], items?: RestoreFactsRequest['items']): Promise<RestoreFacts> {
  const { instance, signal } = input;
  const plugin = input.engine.plugin;
  if (instance.restoreFacts) {
    const restoreFacts = instance.restoreFacts.bind(instance);
    const archive = (await input.openArchive?.()) ?? undefined;
    const request: RestoreFactsRequest = {
      strategy: input.backup.strategy,
      sourceEngineVersion: input.backup.engineVersion,
      sourceEngineFormat: input.backup.engineFormat,
      sources,
      targets,
      atomic: input.atomic,
      ...(items === undefined ? {} : { items }),
      ...(archive === undefined ? {} : { archive }),
    };
    return callPlugin(plugin, 'restoreFacts', signal, () => restoreFacts(request, signal));
  }
  const [health, live] = await Promise.all([instance.health(signal), callPlugin(plugin, 'listCollections', signal, () => instance.listCollections(signal))]);
  return {
    engineVersion: health.version,
    existing: live.filter((c) => targets.includes(c.name)),
    conversions: [],
    refusals: [],
    warnings: [],
    canApply: false,
    atomicReplace: true,
  };
}

/** Throws the first refusal as its coded error (startRestore); the plan itself stays readable via planRestore. */
export function enforcePlan(plan: RestorePlan): void {
  const first = plan.refusals[0];
  if (first === undefined) return;
  const code = first.code === 'restore_refused' ? 'restore_refused' : (first.code as ErrorCode);
  throw new GatewayError(code, plan.refusals.map((r) => r.message).join('; '), { details: { collections: plan.refusals.flatMap((r) => r.collections), verdict: plan.verdict } });
}

/** The plan's items as a plugin receives them: SKIPs dropped, staging names made from the job id when atomic. */
export function plannedItems(plan: RestorePlan, jobId: string): PlannedRestoreItem[] {
  return plan.collections
    .filter((c) => c.action !== 'SKIP')
    .map((c) => ({ source: c.source, target: c.target, action: c.action, backupDocuments: c.backupDocuments, staging: plan.atomic ? stagingName(jobId, c.target) : null }));
}

/**
 * Right before writing: the plan still holds. A target planned as CREATE that exists now (made since the plan)
 * would be overwritten unasked, so the job fails instead.
 */
export async function recheckPlan(plan: RestorePlan, engine: Engine, instance: EngineInstance, signal: AbortSignal): Promise<void> {
  const creates = plan.collections.filter((c) => c.action === 'CREATE').map((c) => c.target);
  if (creates.length === 0 || plan.onExisting === 'REPLACE') return;
  const facts = await targetFacts(
    { backup: { strategy: plan.strategy, engineVersion: plan.sourceEngineVersion } as Backup, engine, instance, atomic: plan.atomic, signal } as PlanInput,
    plan.collections.map((c) => c.source),
    creates,
  );
  if (facts.existing === null) return;
  const appeared = creates.filter((name) => facts.existing!.some((e) => e.name === name));
  if (appeared.length > 0) {
    throw new GatewayError('target_exists', `${appeared.join(', ')} appeared on the engine after the restore was planned; it is not overwritten unasked`, {
      details: { collections: appeared },
    });
  }
}
