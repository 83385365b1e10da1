// prepareEngineUpgrade (issue 18): the safety copy to take before upgrading an engine — a native backup where the
// plugin has one (a Meilisearch dump) and a logical backup (Typesense: with every satellite), each verified,
// pinned and labelled `pre-upgrade: <from>→<to>` — and which of them restores into which version.
import type { Backup, Job, PrismaClient } from '../db/client.ts';
import type { BackupService } from '../catalog/backups.ts';
import type { EngineService } from '../catalog/engines.ts';
import { compareVersions, majorOf } from '../engines/restore-kit.ts';
import { isTerminal } from '../db/job-status.ts';
import { GatewayError } from '../errors.ts';
import type { JobService } from '../jobs/job-service.ts';

const VERSION_PATTERN = /^v?\d{1,6}(\.\d{1,6}){0,2}(-[0-9A-Za-z.]{1,32})?$/;
const HEALTH_TIMEOUT_MS = 10_000;
const POLL_MS = 100;
export const PRE_UPGRADE_LABEL = 'pre-upgrade';

export interface UpgradePrepareDeps {
  prisma: PrismaClient;
  engines: EngineService;
  jobs: JobService;
  backups: BackupService;
  /** How often the ending of a backup or verify job is checked (tests shorten it). */
  pollMs?: number;
}

export interface UpgradeSafetyCopy {
  backup: Backup;
  strategy: 'LOGICAL' | 'NATIVE';
  /** The backup job, then the verify job that re-read it. */
  backupJobId: string;
  verifyJobId: string;
  /** Which engine versions this copy restores into. */
  restoresInto: string;
}

export interface UpgradePreparation {
  engineId: string;
  from: string;
  to: string;
  /** `pre-upgrade:<from>→<to>`: the label every copy carries (key pre-upgrade). */
  label: string;
  copies: UpgradeSafetyCopy[];
  notes: string[];
}

const bare = (version: string): string => version.trim().replace(/^v/, '');

/** What each kind of copy restores into, per engine; logical copies go through the restore plan's conversions. */
function restoresInto(plugin: string, strategy: 'LOGICAL' | 'NATIVE', from: string, to: string): string {
  if (plugin === 'meilisearch' && strategy === 'NATIVE') return `Meilisearch v${from} and newer, v${to} included (a dump imports into the same or a later version)`;
  if (plugin === 'typesense' && strategy === 'NATIVE') return `Typesense v${from} only (a data-directory snapshot: start v${from} on it)`;
  if (plugin === 'typesense' && (majorOf(from) ?? 0) < 30 && (majorOf(to) ?? 0) >= 30) {
    return `Typesense v${from} as it was, and v${to}: restore … --plan shows the v29→v30 synonym and curation conversions`;
  }
  if (strategy === 'LOGICAL') return `any ${plugin} version the plugin supports: v${from} and v${to}`;
  return `${plugin} v${from} (a native copy; newer versions only where the engine imports it)`;
}

/** Polls the job row until it has ended; a job that did not succeed fails the preparation naming it. */
async function ended(deps: UpgradePrepareDeps, job: Job, what: string): Promise<Job> {
  for (;;) {
    const row = await deps.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    if (isTerminal(row.status)) {
      if (row.status !== 'SUCCEEDED') {
        throw new GatewayError(
          row.errorCode === 'job_canceled' ? 'job_canceled' : 'internal',
          `The ${what} job ${row.id} of the upgrade safety copy ended ${row.status}: ${row.errorMessage ?? 'no reason given'}`,
          {
            details: { jobId: row.id },
          },
        );
      }
      return row;
    }
    await new Promise((resolve) => setTimeout(resolve, deps.pollMs ?? POLL_MS));
  }
}

export async function prepareEngineUpgrade(deps: UpgradePrepareDeps, engineId: string, targetVersion: string, actor: string): Promise<UpgradePreparation> {
  if (!VERSION_PATTERN.test(targetVersion.trim())) throw new GatewayError('invalid_input', 'targetVersion must look like 1.16.0 or v30.0');
  const engine = await deps.engines.get(engineId);
  const plugin = deps.engines.plugin(engine.plugin);
  const instance = deps.engines.instance(engine);
  const health = await instance.health(AbortSignal.timeout(HEALTH_TIMEOUT_MS));
  if (!health.ok || health.version === null) {
    throw new GatewayError('engine_unreachable', `Engine "${engine.name}" must answer with its version before an upgrade: ${health.message ?? 'no version reported'}`);
  }
  const [from, to] = [bare(health.version), bare(targetVersion)];
  if ((compareVersions(to, from) ?? 1) <= 0) throw new GatewayError('invalid_input', `targetVersion v${to} is not newer than the engine's v${from}`);

  const notes: string[] = [];
  // a native copy where the plugin has one and it is configured (a Meilisearch dump, a Typesense snapshot)
  const nativeUnavailable = plugin.capabilities.includes('nativeBackup') ? (instance.nativeCopyUnavailable?.() ?? null) : 'the plugin has no native backups';
  if (nativeUnavailable !== null) notes.push(`no native copy: ${nativeUnavailable}`);
  const strategies = (['NATIVE', 'LOGICAL'] as const).filter((s) => (s === 'NATIVE' ? nativeUnavailable === null : plugin.capabilities.includes('logicalBackup')));
  if (strategies.length === 0) throw new GatewayError('capability_not_supported', `The ${plugin.name} plugin can take no safety copy here: ${nativeUnavailable}`);
  const label = `${from}→${to}`;
  const stem = `${engine.name}_pre_upgrade_${from}_${to}`.replace(/[^A-Za-z0-9_]/g, '_');
  const copies: UpgradeSafetyCopy[] = [];
  for (const strategy of strategies) {
    const backupJob = await deps.jobs.startBackup(
      { engineId: engine.id, strategy, type: 'FULL', name: `${stem}_${strategy.toLowerCase()}`, labels: { [PRE_UPGRADE_LABEL]: label } },
      actor,
    );
    await ended(deps, backupJob, `${strategy.toLowerCase()} backup`);
    const backupId = backupJob.backupId!;
    const verifyJob = await deps.jobs.startVerify({ backupId }, actor);
    await ended(deps, verifyJob, 'verify');
    const backup = await deps.backups.setPinned(backupId, true, actor);
    copies.push({ backup, strategy, backupJobId: backupJob.id, verifyJobId: verifyJob.id, restoresInto: restoresInto(plugin.name, strategy, from, to) });
  }
  if (plugin.name === 'meilisearch') notes.push('no snapshot taken: the plugin takes none, and a Meilisearch snapshot restores only into the same version');
  if (plugin.name === 'typesense') notes.push('the logical copy carries every satellite (aliases, synonyms, overrides, stopwords, presets, keys)');
  return { engineId: engine.id, from, to, label: `${PRE_UPGRADE_LABEL}:${label}`, copies, notes };
}
