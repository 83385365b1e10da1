// Every command of the `backup-gateway` CLI, in one list: a new command is a `Command` object in its own file
// under commands/, added here (and its group, when it opens a new one). run.ts builds the parser from this list.
import type { Command } from './command.ts';
import { backupCommands } from './commands/backups.ts';
import { checkCommands } from './commands/check.ts';
import { completionCommands } from './commands/completion.ts';
import { dumpCommands } from './commands/dump.ts';
import { engineCommands } from './commands/engines.ts';
import { engineUpgradeCommands } from './commands/engine-upgrade.ts';
import { engineCopyCommands } from './commands/engine-copy.ts';
import { jobCommands } from './commands/jobs.ts';
import { keyCommands } from './commands/keys.ts';
import { restoreCommands } from './commands/restore.ts';
import { backupDownloadCommand } from './commands/backup-download.ts';
import { restoreSnapshotCommand } from './commands/restore-snapshot.ts';
import { serveCommands } from './commands/serve.ts';
import { statusCommands } from './commands/status.ts';
import { setCommands } from './commands/sets.ts';
import { versionCommands } from './commands/version.ts';

export const COMMANDS: readonly Command[] = [
  ...serveCommands,
  ...engineCommands,
  ...engineUpgradeCommands,
  ...engineCopyCommands,
  ...backupCommands,
  ...restoreCommands,
  ...setCommands,
  backupDownloadCommand,
  restoreSnapshotCommand,
  ...jobCommands,
  ...keyCommands,
  ...dumpCommands,
  ...checkCommands,
  ...statusCommands,
  ...versionCommands,
  ...completionCommands,
];

/** Commands of two words (`backup create`) sit in a group named by the first; its one-line summary. */
export const GROUPS: Record<string, string> = {
  engines: 'Registered engines: list, add, remove, copy, upgrade-prepare, upgrade-status, upgrade-rollback',
  backup: 'Backups: create, list, get, delete, download',
  set: 'Backup sets (several engines together): create, list, get, restore',
  jobs: 'Jobs: list, get, cancel, wait',
  keys: 'API keys: create, revoke, list',
  dump: "Dumps of the gateway's own state: create",
};
