// Retention policies and the pure planner: which COMPLETE backups a policy keeps, and why, and which it deletes.
// Calendar rules follow restic's `forget`: keepDaily N keeps the newest backup of each of the N most recent days
// that have backups (weekly: ISO weeks; monthly; yearly), in the policy's time zone.
import { z } from 'zod';
import { GatewayError } from '../errors.ts';

const count = z.number().int().min(0).max(100_000);

export const RetentionPolicySchema = z.strictObject({
  keepLast: count.nullable().optional(),
  keepDaily: count.nullable().optional(),
  keepWeekly: count.nullable().optional(),
  keepMonthly: count.nullable().optional(),
  keepYearly: count.nullable().optional(),
  /** Backups older than this are deleted even when a keep rule would keep them (never the newest or pinned). */
  maxAgeDays: z.number().positive().max(36_500).nullable().optional(),
});

export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

export function parseRetentionPolicy(raw: unknown): RetentionPolicy {
  const parsed = RetentionPolicySchema.safeParse(raw);
  if (!parsed.success) throw new GatewayError('invalid_input', `invalid retention policy: ${z.prettifyError(parsed.error)}`);
  const policy = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== null && value !== undefined)) as RetentionPolicy;
  if (Object.keys(policy).length === 0)
    throw new GatewayError('invalid_input', 'a retention policy needs at least one of keepLast, keepDaily, keepWeekly, keepMonthly, keepYearly, maxAgeDays');
  return policy;
}

/**
 * What a backup can give back, so policies never trade a restorable backup for one that cannot be restored:
 * `restorable` (the gateway holds the data), `external` (only engine-side artifacts: restorable while the engine
 * keeps them), `record` (metadata only, e.g. MagnetoDB's NATIVE management records: nothing to restore).
 */
export type Restorability = 'restorable' | 'external' | 'record';

export interface RetentionCandidate {
  id: string;
  createdAt: Date;
  pinned: boolean;
  parentId: string | null;
  /** Absent = restorable. Each kind is planned apart: a record never counts towards keepLast of restorable ones. */
  restorability?: Restorability;
}

export type KeepReason = 'newest' | 'pinned' | 'last' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'within max age' | 'parent of a kept incremental';

export interface RetentionDecision {
  id: string;
  createdAt: Date;
  restorability: Restorability;
  keep: boolean;
  /** Why it is kept; empty when deleted. */
  reasons: KeepReason[];
}

export interface RetentionPlan {
  keep: RetentionDecision[];
  delete: RetentionDecision[];
}

const CALENDAR_RULES = [
  ['keepDaily', 'daily'],
  ['keepWeekly', 'weekly'],
  ['keepMonthly', 'monthly'],
  ['keepYearly', 'yearly'],
] as const;

/**
 * Plans a policy over COMPLETE backups (the caller passes only those). The newest backup and pinned ones are always
 * kept, and so is every backup a kept incremental builds on. Nothing is deleted here: this is the dry run.
 * Each restorability kind is planned on its own (its own newest, its own keepLast), so a metadata-only record can
 * never push the only restorable backup out.
 */
export function planRetention(candidates: readonly RetentionCandidate[], policy: RetentionPolicy, options: { now: Date; timeZone?: string }): RetentionPlan {
  const plan: RetentionPlan = { keep: [], delete: [] };
  for (const kind of ['restorable', 'external', 'record'] as const) {
    const group = candidates.filter((backup) => (backup.restorability ?? 'restorable') === kind);
    if (group.length === 0) continue;
    const planned = planGroup(group, policy, options, kind);
    plan.keep.push(...planned.keep);
    plan.delete.push(...planned.delete);
  }
  const newestFirst = (a: RetentionDecision, b: RetentionDecision) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1);
  plan.keep.sort(newestFirst);
  plan.delete.sort(newestFirst);
  return plan;
}

function planGroup(candidates: readonly RetentionCandidate[], policy: RetentionPolicy, options: { now: Date; timeZone?: string }, restorability: Restorability): RetentionPlan {
  const sorted = [...candidates].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  const reasons = new Map<string, Set<KeepReason>>(sorted.map((backup) => [backup.id, new Set()]));
  const keep = (backup: RetentionCandidate, reason: KeepReason) => reasons.get(backup.id)!.add(reason);

  const hasKeepRule = policy.keepLast != null || CALENDAR_RULES.some(([field]) => policy[field] != null);
  if (policy.keepLast != null) sorted.slice(0, policy.keepLast).forEach((backup) => keep(backup, 'last'));
  for (const [field, reason] of CALENDAR_RULES) {
    const wanted = policy[field];
    if (wanted == null) continue;
    let kept = 0;
    let lastBucket: string | undefined;
    for (const backup of sorted) {
      if (kept >= wanted) break;
      const bucket = bucketOf(backup.createdAt, reason, options.timeZone ?? 'UTC');
      if (bucket === lastBucket) continue;
      lastBucket = bucket;
      keep(backup, reason);
      kept += 1;
    }
  }
  if (policy.maxAgeDays != null) {
    const cutoff = options.now.getTime() - policy.maxAgeDays * 86_400_000;
    for (const backup of sorted) {
      if (backup.createdAt.getTime() < cutoff) reasons.get(backup.id)!.clear();
      else if (!hasKeepRule) keep(backup, 'within max age');
    }
  }
  if (sorted[0]) keep(sorted[0], 'newest');
  for (const backup of sorted) if (backup.pinned) keep(backup, 'pinned');

  // A kept incremental needs its whole chain; the chain's members are candidates too (or not ours to delete).
  const byId = new Map(sorted.map((backup) => [backup.id, backup]));
  for (const backup of sorted) {
    if (reasons.get(backup.id)!.size === 0) continue;
    for (let parent = backup.parentId ? byId.get(backup.parentId) : undefined; parent; parent = parent.parentId ? byId.get(parent.parentId) : undefined) {
      keep(parent, 'parent of a kept incremental');
    }
  }

  const plan: RetentionPlan = { keep: [], delete: [] };
  for (const backup of sorted) {
    const why = [...reasons.get(backup.id)!];
    (why.length > 0 ? plan.keep : plan.delete).push({ id: backup.id, createdAt: backup.createdAt, restorability, keep: why.length > 0, reasons: why });
  }
  return plan;
}

/** The calendar bucket of an instant in a time zone: `2026-11-21`, `2026-W47`, `2026-11`, `2026`. */
export function bucketOf(at: Date, rule: 'daily' | 'weekly' | 'monthly' | 'yearly', timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at).map((part) => [part.type, part.value]),
  );
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  if (rule === 'yearly') return String(year);
  if (rule === 'monthly') return `${year}-${String(month).padStart(2, '0')}`;
  if (rule === 'daily') return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  // ISO 8601 week: the week (Monday first) holding the year's first Thursday is week 1.
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 + 1) / 7);
  return `${weekYear}-W${String(week).padStart(2, '0')}`;
}
