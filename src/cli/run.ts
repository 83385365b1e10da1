// The `backup-gateway` command line, parsed by commander from the command list (registry.ts): global options
// anywhere on the line, help, "did you mean", and errors turned into a coded message and an exit code
// (0 ok, 1 failed, 2 usage, 3 busy or unreachable, 4 auth).
import { Command as Program, CommanderError, Option } from 'commander';
import { packageManifest } from '../package-files.ts';
import { type Command, GLOBAL_OPTIONS, makeContext, type OptionSpec, type OptionValues, outputFormat } from './command.ts';
import { CliError } from './errors.ts';
import { printJson, type CliIo } from './output.ts';
import { COMMANDS, GROUPS } from './registry.ts';

export { COMMANDS };

export const CLIENT_VERSION: string = packageManifest().version;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  let globals: OptionValues = {};
  const program = buildProgram(io, async (command, options, positionals) => {
    globals = options;
    exitCode = await command.run(makeContext(io, { options, positionals }));
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    const coded = toCliError(error);
    io.stderr.write(`Error [${coded.code}]: ${coded.message}\n`);
    let structured = false;
    try {
      structured = outputFormat(globals) !== 'table';
    } catch {
      // a bad -o value: the error above already says so
    }
    if (structured) printJson({ ...io, format: stringOf(globals.output) === 'yaml' ? 'yaml' : 'json' }, { error: { code: coded.code, type: coded.type, message: coded.message } });
    return coded.exitCode;
  }
}

type RunCommand = (command: Command, options: OptionValues, positionals: string[]) => Promise<void>;

/** The commander program for COMMANDS: one commander command per entry, grouped by its first word. */
export function buildProgram(io: CliIo, run: RunCommand): Program {
  const program = new Program('backup-gateway')
    .description('Drives a backup gateway over its GraphQL API (--url / GATEWAY_URL, --api-key / GATEWAY_API_KEY).')
    .version(CLIENT_VERSION, '--version', 'Print the CLI version (`backup-gateway version` adds the server version)')
    .helpOption('-h, --help', 'Show this help')
    .addHelpText('after', '\nExit codes: 0 ok, 1 failed, 2 usage, 3 busy or gateway unreachable (retry), 4 authentication or scope.\n');
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) program.addOption(toOption(name, spec));
  configure(program, io);
  program.configureHelp({ showGlobalOptions: true, sortSubcommands: false });

  const groups = new Map<string, Program>();
  for (const command of COMMANDS) {
    let parent = program;
    const [first, ...rest] = command.words;
    if (rest.length > 0) {
      parent = groups.get(first!) ?? groups.set(first!, configure(program.command(first!).description(GROUPS[first!] ?? ''), io)).get(first!)!;
    }
    const sub = configure(parent.command(command.words.at(-1)!), io).description(command.summary);
    if (command.args) sub.arguments(command.args);
    for (const [name, spec] of Object.entries(command.options ?? {})) sub.addOption(toOption(name, spec));
    if (command.details) sub.addHelpText('after', `\n${command.details.trim()}\n`);
    sub.action(async (...args: unknown[]) => {
      const self = args.at(-1) as Program;
      await run(command, optionValues(self.optsWithGlobals(), { ...GLOBAL_OPTIONS, ...command.options }), self.args.slice(0, self.registeredArguments.length));
    });
  }
  return program;
}

function configure(command: Program, io: CliIo): Program {
  return command
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
}

function toOption(name: string, spec: OptionSpec): Option {
  const flags = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`;
  const option = new Option(flags, spec.description + (spec.multiple ? ' (repeatable)' : ''));
  if (spec.multiple) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return option;
}

/** commander's camelCase values back under the names the commands use (`drop-existing`, `no-atomic`). */
function optionValues(values: Record<string, unknown>, specs: Record<string, OptionSpec>): OptionValues {
  const result: OptionValues = {};
  for (const name of Object.keys(specs)) {
    const negated = name.startsWith('no-');
    const value = values[camelCase(negated ? name.slice(3) : name)];
    if (negated) result[name] = value === false ? true : undefined;
    else if (value !== undefined) result[name] = value as OptionValues[string];
  }
  return result;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Help and --version exit 0; help shown because a group was given no command, and any parse error, exit 2. */
function commanderExitCode(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
  return error.exitCode === 0 ? 0 : 2;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
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
