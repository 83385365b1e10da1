// The shapes the Meilisearch client hands to the rest of the plugin (client.ts re-exports them).
import { z } from 'zod';
import type { RetryPolicy } from '../../src/plugin.ts';

export interface MeilisearchConnection {
  url: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  /** Retries of reads (default: DEFAULT_RETRY_POLICY). */
  retry?: RetryPolicy | undefined;
}

export interface IndexInfo {
  uid: string;
  primaryKey: string | null;
}

/** A key as the gateway keeps it: everything but the secret `key` value. */
export interface KeyMetadata {
  uid: string;
  name: string | null;
  description: string | null;
  actions: string[];
  indexes: string[];
  expiresAt: string | null;
}

export interface EngineTask {
  uid: number;
  status: string;
  type: string;
  error: { message: string; code: string } | null;
}

/** A task as the dump flow follows it: its batch (v1.12+) carries the progress. */
export interface TaskState extends EngineTask {
  batchUid: number | null;
  details: Record<string, unknown> | null;
  /** The cancelation task that canceled it. */
  canceledBy: number | null;
}

export interface BatchProgress {
  steps: { currentStep: string; finished: number; total: number }[];
  percentage: number;
}

/** `GET /dumps/:uid/status` of servers before v0.28. */
export const legacyDumpSchema = z.object({
  uid: z.string(),
  status: z.enum(['in_progress', 'done', 'failed']),
  error: z.string().nullish(),
});
export type LegacyDump = z.infer<typeof legacyDumpSchema>;

/** The body of `POST /export` (routes/export.rs): index patterns, each with its filter and settings choice. */
export interface ExportRequest {
  url: string;
  apiKey?: string;
  indexes: Record<string, { filter?: string; overrideSettings: boolean }>;
}

export interface WaitOptions {
  signal: AbortSignal;
  timeoutMs: number;
}
