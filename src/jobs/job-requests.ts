// What callers ask of the job service (start a backup, restore or verify) and the checks on those requests that
// need no database: collections, labels, names, consent to overwrite, credentials of external locations.
import type { Backup } from '../db/client.ts';
import type { StorageCredentialsInput, StorageLocationInput } from '../catalog/storage-location.ts';
import { checkCollectionName, type NamedPlugin } from '../catalog/names.ts';
import { GatewayError } from '../errors.ts';
import type { Capability, EnginePlugin } from '../engines/contract.ts';
import type { OnExisting } from './restore-plan.ts';

export interface StartBackupRequest {
  engineId: string;
  collections?: string[] | null;
  strategy?: 'LOGICAL' | 'NATIVE' | null;
  type?: 'FULL' | 'INCREMENTAL' | null;
  name?: string | null;
  labels?: unknown;
  timeoutSeconds?: number | null;
  /** A registered storage location ('local' = built in); the default one when absent. */
  storageId?: string | null;
  /** A per-job external location (URL + credentials), instead of a registered one. */
  location?: StorageLocationInput | null;
  /** Set when a schedule starts the backup. */
  scheduleId?: string | null;
  /** Engine-specific options (the plugin's backupOptions schema). */
  options?: unknown;
  /** Set when the backup is a member of a backup set: the set and its parent job. */
  member?: SetMembership | null;
}

/** A member job of a backup set: its backup joins the set, its job hangs under the set's parent job. */
export interface SetMembership {
  setId: string | null;
  parentJobId: string;
  /** Restores: swap in only when every member is filled (set-barrier.ts). */
  holdSwap?: boolean;
}

export interface StartRestoreRequest {
  backupId: string;
  engineId?: string | null;
  collections?: string[] | null;
  rename?: Array<{ from: string; to: string }> | null;
  atomic?: boolean | null;
  dropExisting?: boolean | null;
  /** Replace existing target collections (same as onExisting: REPLACE). Without it a restore never overwrites. */
  overwrite?: boolean | null;
  /** What to do with a target that exists: FAIL (default, `target_exists`), REPLACE, SKIP, APPLY (write on top). */
  onExisting?: OnExisting | null;
  /** Appended to every target name not renamed explicitly (e.g. "_restored"). */
  suffix?: string | null;
  timeoutSeconds?: number | null;
  /** Restore a DAMAGED backup anyway (files are still checked while read). */
  force?: boolean | null;
  /** Credentials of the external location the backup lives in. */
  credentials?: StorageCredentialsInput | null;
  /** Engine-specific options (the plugin's restoreOptions schema). */
  options?: unknown;
  /** Set when the restore is one member of a backup set's restore. */
  member?: SetMembership | null;
}

export interface StartVerifyRequest {
  backupId: string;
  /** Also restore into scratch collections on the engine, compare counts, drop them. */
  restoreTest?: boolean | null;
  /** The engine of the restore test; the backup's own when absent. */
  engineId?: string | null;
  credentials?: StorageCredentialsInput | null;
  timeoutSeconds?: number | null;
  /** Set when the verification is one member of a backup set's verification. */
  member?: SetMembership | null;
}

/** overwrite: true is onExisting: REPLACE; both given must agree. dropExisting (older Milvus option) is consent too. */
export function onExistingOf(request: StartRestoreRequest): OnExisting {
  if (request.overwrite && request.onExisting && request.onExisting !== 'REPLACE') {
    throw new GatewayError('invalid_input', `overwrite: true contradicts onExisting: ${request.onExisting}`);
  }
  if (request.overwrite || request.dropExisting) return 'REPLACE';
  return request.onExisting ?? 'FAIL';
}

/** A backup in a per-job external location is read with credentials given again for each job. */
export function requireCredentials(backup: Backup, credentials: StorageCredentialsInput | null | undefined): void {
  if (backup.externalLocation && !credentials) {
    const url = (backup.externalLocation as { url?: string }).url ?? backup.location;
    throw new GatewayError('storage_credentials_required', `Backup "${backup.name}" lives in the external location ${url}; pass its credentials`);
  }
}

export function normaliseCollections(raw: string[] | null | undefined, plugin: NamedPlugin): string[] | null {
  if (raw === null || raw === undefined) return null;
  if (raw.length === 0) throw new GatewayError('invalid_input', 'collections must not be empty; omit it to mean every collection');
  if (raw.length > 10_000) throw new GatewayError('invalid_input', 'at most 10000 collections per job');
  return [...new Set(raw.map((name) => checkCollectionName(plugin, name)))];
}

export function validateLabels(raw: unknown): Record<string, string> | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new GatewayError('invalid_input', 'labels must be an object of string values');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > 64) throw new GatewayError('invalid_input', 'at most 64 labels');
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 128 || typeof value !== 'string' || value.length > 1024) {
      throw new GatewayError('invalid_input', 'labels are string keys (1–128 chars) with string values (≤ 1024 chars)');
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** `<engine>_<YYYYMMDD>_<HHMMSS>`: also valid under the strictest engine naming rules (milvus-backup: [A-Za-z0-9_]). */
export function defaultBackupName(engineName: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  const base = engineName.replace(/[^A-Za-z0-9_]/g, '_').replace(/^[^A-Za-z_]/, '_$&');
  return `${base}_${stamp}`;
}

/** Refuses what the engine's plugin does not declare it can do (`capability_not_supported`). */
export function requireCapability(plugin: Pick<EnginePlugin, 'name' | 'capabilities'>, capability: Capability, what: string): void {
  if (!plugin.capabilities.includes(capability)) {
    throw new GatewayError('capability_not_supported', `The ${plugin.name} plugin cannot ${what}; it supports: ${plugin.capabilities.join(', ')}`);
  }
}
