// `restore … --dry-run`: asks the gateway for the restore plan (planRestore) and prints it as a table; nothing
// is restored. Kept apart from the restore command's option parsing so either can change on its own.
import type { GatewayClient } from '../client.ts';
import { formatBytes, formatCount, formatTable, printJson, type CliIo } from '../output.ts';

export const PLAN_FIELDS = `verdict sourceEngineVersion targetEngineVersion conversions warnings estimatedSeconds onExisting atomic
  refusals { code message collections } collections { source target action liveDocuments backupDocuments bytes reasons }`;

export interface RestorePlanView {
  verdict: 'OK' | 'CONVERTED' | 'REFUSED';
  sourceEngineVersion: string | null;
  targetEngineVersion: string | null;
  conversions: string[];
  warnings: string[];
  estimatedSeconds: number | null;
  onExisting: string;
  atomic: boolean;
  refusals: Array<{ code: string; message: string; collections: string[] }>;
  collections: Array<{ source: string; target: string; action: string; liveDocuments: number | null; backupDocuments: number | null; bytes: number | null; reasons: string[] }>;
}

export async function fetchRestorePlan(client: GatewayClient, input: Record<string, unknown>): Promise<RestorePlanView> {
  const { planRestore } = await client.request<{ planRestore: RestorePlanView }>(`mutation($i: StartRestoreInput!) { planRestore(input: $i) { ${PLAN_FIELDS} } }`, { i: input });
  return planRestore;
}

/** The plan as people read it: one row per collection, then the engine-level verdict. */
export function formatRestorePlan(plan: RestorePlanView): string {
  const rows = plan.collections.map((c) => [
    c.source,
    c.target,
    c.action,
    formatCount(c.liveDocuments),
    formatCount(c.backupDocuments),
    formatBytes(c.bytes),
    c.reasons.join('; '),
  ]);
  let text = formatTable(['SOURCE', 'TARGET', 'ACTION', 'LIVE DOCS', 'BACKUP DOCS', 'SIZE', 'WHY'], rows);
  text += `\nverdict: ${plan.verdict}   engine: ${plan.sourceEngineVersion ?? '?'} → ${plan.targetEngineVersion ?? '?'}   atomic: ${plan.atomic ? 'yes' : 'no'}   existing targets: ${plan.onExisting}`;
  if (plan.estimatedSeconds !== null) text += `   about ${plan.estimatedSeconds}s`;
  text += '\n';
  for (const conversion of plan.conversions) text += `converts: ${conversion}\n`;
  for (const warning of plan.warnings) text += `warning: ${warning}\n`;
  for (const refusal of plan.refusals) text += `refused (${refusal.code}): ${refusal.message}\n`;
  if (plan.collections.some((c) => c.action === 'REPLACE') && plan.onExisting === 'FAIL') {
    text += 'Existing collections are never replaced unasked: add --overwrite to replace them, or restore under new names (--rename, --suffix).\n';
  }
  return text;
}

/** Hook for the restore command: prints the plan (JSON with --json); exit code 1 when the plan is REFUSED. */
export async function printRestorePlan(io: CliIo, client: GatewayClient, input: Record<string, unknown>, json: boolean): Promise<number> {
  const plan = await fetchRestorePlan(client, input);
  if (json) printJson(io, plan);
  else io.stdout.write(formatRestorePlan(plan));
  return plan.verdict === 'REFUSED' ? 1 : 0;
}
