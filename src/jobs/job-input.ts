// The stored, validated request of each job kind (Job.input). zod at the edge where it is read back.
import type { Job } from '../db/client.ts';
import { z } from 'zod';
import { RestorePlanSchema } from './restore-plan.ts';

export const BackupJobInput = z.object({
  collections: z.array(z.string()).nullable(),
  strategy: z.enum(['LOGICAL', 'NATIVE']),
  type: z.enum(['FULL', 'INCREMENTAL']),
  /** INCREMENTAL: items changed after this ISO instant (the parent backup's start). */
  changedSince: z.string().nullable().optional(),
  /** Engine-specific options, validated by the plugin's backupOptions schema when the job was started. */
  options: z.record(z.string(), z.unknown()).optional(),
});
export type BackupJobInput = z.infer<typeof BackupJobInput>;

export const RestoreJobInput = z.object({
  /** Empty only for a backup whose collections the catalog does not know (restored whole; see restoresUnlistedBackups). */
  collections: z.array(z.string()),
  rename: z.record(z.string(), z.string()),
  atomic: z.boolean(),
  dropExisting: z.boolean().optional(),
  /** The plan this job executes, as planRestore showed it (absent on jobs queued before plans existed). */
  plan: RestorePlanSchema.optional(),
  /** Engine-specific options, validated by the plugin's restoreOptions schema when the job was started. */
  options: z.record(z.string(), z.unknown()).optional(),
  /** A member of a set restore whose members swap together (set-barrier.ts). */
  holdSwap: z.boolean().optional(),
});
export type RestoreJobInput = z.infer<typeof RestoreJobInput>;

/** The scratch collection of a restore test: `<name>_verify_<first 8 chars of the job id>`. */
export function scratchName(name: string, jobIdPrefix: string): string {
  return `${name}_verify_${jobIdPrefix}`;
}

/** The collections a restore job writes, after renames. */
export function restoreTargets(job: Pick<Job, 'input'>): string[] {
  const parsed = RestoreJobInput.safeParse(job.input);
  if (!parsed.success) return [];
  return parsed.data.collections.map((name) => parsed.data.rename[name] ?? name);
}
