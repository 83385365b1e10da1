// backup-gateway status: the protectionStatus query as a table — per engine, the newest backup and its age
// against the RPO, the next run, the newest verification, failures in 7 days, storage. Exit code 1 when any
// engine is outside its RPO, so a cron job or a monitoring check can run it as is.
import type { Command } from '../command.ts';
import { formatBytes, formatDuration, formatTable, printJson } from '../output.ts';

interface EngineProtectionView {
  engineName: string;
  plugin: string;
  state: string;
  lastBackupAt: string | null;
  ageSeconds: number | null;
  rpoSeconds: number | null;
  nextRunAt: string | null;
  lastVerifiedAt: string | null;
  failuresLast7Days: number;
  storageBytes: number | string;
  backupCount: number;
}
interface ProtectionView {
  generatedAt: string;
  outsideRpo: boolean;
  engines: EngineProtectionView[];
}

const QUERY = `{ protectionStatus { generatedAt outsideRpo engines {
  engineName plugin state lastBackupAt ageSeconds rpoSeconds nextRunAt lastVerifiedAt failuresLast7Days storageBytes backupCount } } }`;

const seconds = (value: number | null) => (value === null ? '–' : formatDuration(value * 1000));

const status: Command = {
  words: ['status'],
  summary: 'Is each engine protected? Newest backup age against its RPO, next run, verification, failures; exit 1 when any engine is outside its RPO.',
  async run(ctx) {
    const { protectionStatus } = await ctx.client().request<{ protectionStatus: ProtectionView }>(QUERY);
    if (ctx.json) printJson(ctx.io, protectionStatus);
    else {
      ctx.io.stdout.write(
        formatTable(
          ['ENGINE', 'PLUGIN', 'STATE', 'LAST BACKUP', 'AGE', 'RPO', 'NEXT RUN', 'VERIFIED', 'FAILED 7D', 'STORED'],
          protectionStatus.engines.map((e) => [
            e.engineName,
            e.plugin,
            e.state,
            e.lastBackupAt,
            seconds(e.ageSeconds),
            seconds(e.rpoSeconds),
            e.nextRunAt,
            e.lastVerifiedAt,
            e.failuresLast7Days,
            `${formatBytes(e.storageBytes)} (${e.backupCount})`,
          ]),
        ),
      );
      const outside = protectionStatus.engines.filter((e) => e.state === 'OUTSIDE_RPO').map((e) => e.engineName);
      ctx.io.stdout.write(outside.length > 0 ? `OUTSIDE RPO: ${outside.join(', ')}\n` : 'Every scheduled engine is within its RPO.\n');
    }
    return protectionStatus.outsideRpo ? 1 : 0;
  },
};

export const statusCommands: Command[] = [status];
