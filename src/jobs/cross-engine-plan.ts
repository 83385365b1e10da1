// Restoring a logical backup into an engine of another plugin: whether it can be done (both plugins have a neutral
// pair), the mapping the plan shows, and the converted archive the restore job hands the target plugin.
import type { Backup, Engine } from '../db/client.ts';
import type { EnginePlugin } from '../engines/contract.ts';
import { convertArchive, type ConvertedArchive } from '../engines/cross-engine.ts';
import type { NeutralConversion } from '../engines/neutral.ts';
import { GatewayError } from '../errors.ts';
import type { ArchiveReader } from '../storage/archive-types.ts';
import type { RestorePlan } from './restore-plan.ts';

interface PluginRegistry {
  plugin(name: string): EnginePlugin;
}

/** Refuses what cannot cross engines (a native backup, a plugin without a neutral pair); else both pairs. */
export function crossEnginePairs(
  engines: PluginRegistry,
  backup: Pick<Backup, 'name' | 'plugin' | 'strategy'>,
  engine: Pick<Engine, 'name' | 'plugin'>,
): { from: NeutralConversion; to: NeutralConversion } {
  const mismatch = (why: string) =>
    new GatewayError('plugin_mismatch', `Backup "${backup.name}" was made by the ${backup.plugin} plugin; engine "${engine.name}" uses ${engine.plugin}: ${why}`);
  if (backup.strategy !== 'LOGICAL') throw mismatch('only logical backups restore into another engine');
  const from = engines.plugin(backup.plugin).neutral;
  const to = engines.plugin(engine.plugin).neutral;
  if (!from) throw mismatch(`the ${backup.plugin} plugin cannot describe its collections neutrally`);
  if (!to?.write) throw mismatch(`the ${engine.plugin} plugin cannot take a neutral description`);
  return { from, to };
}

/** The archive as the target plugin reads it, converted collection by collection as the plan says. */
export function convertForPlan(engines: PluginRegistry, archive: ArchiveReader, plan: RestorePlan, sourcePlugin: string, targetPlugin: string): Promise<ConvertedArchive> {
  const from = engines.plugin(sourcePlugin).neutral;
  const to = engines.plugin(targetPlugin).neutral;
  if (!from || !to) throw new GatewayError('plugin_mismatch', `no neutral conversion between the ${sourcePlugin} and ${targetPlugin} plugins`);
  const items = plan.collections.filter((c) => c.action !== 'SKIP').map((c) => ({ source: c.source, target: c.target }));
  return convertArchive(archive, { source: sourcePlugin, from, target: targetPlugin, to }, items);
}

/** Adds the mapping to a plan: verdict CONVERTED (unless refused), one conversion line per mapped item. */
export async function withCrossEngineMapping(engines: PluginRegistry, archive: ArchiveReader, plan: RestorePlan, sourcePlugin: string, targetPlugin: string): Promise<RestorePlan> {
  if (plan.verdict === 'REFUSED') return plan;
  const { mappings } = await convertForPlan(engines, archive, plan, sourcePlugin, targetPlugin);
  const conversions = [
    `documents converted from ${sourcePlugin} to ${targetPlugin} through the neutral description while they stream; a document that does not fit the target schema is counted and reported, never dropped silently`,
    ...mappings.flatMap((m) => m.conversions.map((line) => `${m.source} → ${m.target}: ${line}`)),
  ];
  const notCarried = mappings.flatMap((m) => m.notCarried.map((line) => `${m.source}: not carried: ${line}`));
  return {
    ...plan,
    verdict: 'CONVERTED',
    conversions: [...plan.conversions, ...conversions],
    warnings: [...plan.warnings, ...notCarried],
    crossEngine: { sourcePlugin, targetPlugin, collections: mappings },
  };
}
