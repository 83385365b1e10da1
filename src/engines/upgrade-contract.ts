// Engine upgrades (issue 18): what a plugin reports about an in-place upgrade of its engine's database, and the
// rollback it drives. An optional member of EngineInstance; engines without in-place upgrades leave it out.
import type { EngineCollectionInfo, JobContext } from './contract.ts';

export const ENGINE_UPGRADE_STATES = ['NONE', 'ENQUEUED', 'PROCESSING', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK'] as const;

/** NONE: no upgrade pending (the last one, if any, succeeded). ROLLING_BACK lasts until the previous version runs. */
export type EngineUpgradeState = (typeof ENGINE_UPGRADE_STATES)[number];

/** States in which the engine's data is half-upgraded or being rolled back: backups and restores wait. */
export const UPGRADE_RUNNING_STATES: readonly EngineUpgradeState[] = ['ENQUEUED', 'PROCESSING', 'FAILED', 'ROLLING_BACK'];

export interface EngineUpgradeProgress {
  /** The innermost step the engine reports, e.g. "Upgrading index `books`". */
  step: string;
  completed: number;
  total: number | null;
  /** 0–100 over the whole task, when the engine tells. */
  percentage: number | null;
}

export interface EngineUpgradeStatus {
  state: EngineUpgradeState;
  /** Database version before the upgrade, without a leading "v". */
  from: string | null;
  to: string | null;
  /** The engine's task that runs the upgrade. */
  taskUid: number | null;
  progress: EngineUpgradeProgress | null;
  /** The engine's error (failed upgrade or rollback), or what the operator must do next. */
  error: string | null;
}

export interface UpgradeRollbackResult {
  from: string;
  to: string;
  /** The version the engine reports once rolled back (checked equal to `from`). */
  engineVersion: string;
  /** Every index/collection, each of which answered after the rollback. */
  collections: EngineCollectionInfo[];
}

/** What prepareEngineUpgrade asks of any plugin with native backups. */
export interface SafetyCopyCapability {
  /** null when a native backup can be taken as configured; else why not (e.g. "no dumpsDir configured"). */
  nativeCopyUnavailable(): string | null;
}

export interface UpgradeCapability {
  upgradeStatus(signal: AbortSignal): Promise<EngineUpgradeStatus>;
  /**
   * Cancels the running upgrade as the engine requires, follows the rollback with progress (one phase per
   * collection), waits until the engine reports the previous version and checks every collection answers.
   * Throws `upgrade_rollback_impossible` when the engine refuses; `no_engine_upgrade` when none runs.
   */
  rollbackUpgrade(ctx: JobContext): Promise<UpgradeRollbackResult>;
}
