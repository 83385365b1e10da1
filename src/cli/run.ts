// The `backup-gateway` command line: finds the command, parses its options, runs it, turns errors into an
// exit code and a coded message. Returns the exit code (0 ok, 1 failed, 2 bad usage).
import { type Command, commandHelp, makeContext, parseCommandArgs } from './command.ts';
import { backupCommands } from './commands/backups.ts';
import { dumpCommands } from './commands/dump.ts';
import { engineCommands } from './commands/engines.ts';
import { jobCommands } from './commands/jobs.ts';
import { keyCommands } from './commands/keys.ts';
import { restoreCommands } from './commands/restore.ts';
import { backupDownloadCommand } from './commands/backup-download.ts';
import { restoreSnapshotCommand } from './commands/restore-snapshot.ts';
import { serveCommands } from './commands/serve.ts';
import { CliError } from './errors.ts';
import { printJson, type CliIo } from './output.ts';

export const COMMANDS: readonly Command[] = [
  ...serveCommands,
  ...engineCommands,
  ...backupCommands,
  ...restoreCommands,
  backupDownloadCommand,
  restoreSnapshotCommand,
  ...jobCommands,
  ...keyCommands,
  ...dumpCommands,
];

const GROUPS: Record<string, string> = {
  serve: 'Run the gateway',
  engines: 'Registered engines: list, add, remove',
  backup: 'Backups: create, list, get, delete, download',
  restore: 'Restore a backup into an engine',
  'restore-snapshot': 'Lay a Typesense snapshot backup out as a data directory',
  jobs: 'Jobs: list, get, cancel, wait',
  keys: 'API keys: create, revoke, list',
  dump: "Dumps of the gateway's own state: create",
};

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  const command = findCommand(words);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (!command) {
    const group = words[0];
    if (group && GROUPS[group] && (wantsHelp || words.length === 1)) {
      io[wantsHelp ? 'stdout' : 'stderr'].write(groupHelp(group));
      return wantsHelp ? 0 : 2;
    }
    if (words.length === 0) {
      io[wantsHelp ? 'stdout' : 'stderr'].write(mainHelp());
      return wantsHelp ? 0 : 2;
    }
    io.stderr.write(`Unknown command: ${words.join(' ')}\n\n${mainHelp()}`);
    return 2;
  }
  if (wantsHelp) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  const rest = dropWords(argv, command.words);
  const json = argv.includes('--json');
  try {
    const parsed = parseCommandArgs(command, rest);
    return await command.run(makeContext(io, parsed));
  } catch (error) {
    const coded = toCliError(error);
    io.stderr.write(`Error [${coded.code}]: ${coded.message}\n`);
    if (json) printJson(io, { error: { code: coded.code, type: coded.type, message: coded.message } });
    return coded.exitCode;
  }
}

/** The command whose words start the argument list: `backup create …`, `restore <id> …`. */
function findCommand(words: string[]): Command | undefined {
  return [...COMMANDS]
    .sort((a, b) => b.words.length - a.words.length)
    .find((command) => command.words.every((word, i) => words[i] === word));
}

/** The arguments after the command's own words (which are the first non-option arguments). */
function dropWords(argv: readonly string[], words: readonly string[]): string[] {
  const rest = [...argv];
  for (const word of words) rest.splice(rest.indexOf(word), 1);
  return rest;
}

function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  // GatewayError (serve, imports) and anything else that carries a code.
  const coded = error as { code?: unknown; type?: unknown; message?: unknown };
  if (error instanceof Error && typeof coded.code === 'string' && /^[a-z_]+$/.test(coded.code)) {
    return new CliError(coded.code, error.message, { cause: error, type: typeof coded.type === 'string' ? coded.type : undefined });
  }
  return new CliError('internal', error instanceof Error ? error.message : String(error), { cause: error });
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(GROUPS).map((g) => g.length));
  return [
    'Usage: backup-gateway <command> [options]',
    '',
    'Drives a backup gateway over its GraphQL API (--url / GATEWAY_URL, --api-key / GATEWAY_API_KEY).',
    '',
    'Commands:',
    ...Object.entries(GROUPS).map(([group, text]) => `  ${group.padEnd(width)}  ${text}`),
    '',
    'Every command takes --help, and --json for machine-readable output. Exit codes: 0 ok, 1 failed (the',
    "error's code is printed), 2 bad usage.",
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.words[0] === group);
  const width = Math.max(...commands.map((c) => c.words.join(' ').length + (c.args ? c.args.length + 1 : 0)));
  return [
    `Usage: backup-gateway ${group} <command> [options]`,
    '',
    GROUPS[group],
    '',
    'Commands:',
    ...commands.map((c) => `  ${`${c.words.join(' ')}${c.args ? ` ${c.args}` : ''}`.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`backup-gateway ${group} <command> --help\` for its options.`,
    '',
  ].join('\n');
}
