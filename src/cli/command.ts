// One CLI command: its words, options (node's util.parseArgs), help text and what it runs.
import { parseArgs } from 'node:util';
import { GatewayClient } from './client.ts';
import { usage } from './errors.ts';
import type { CliIo } from './output.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  short?: string;
  multiple?: boolean;
  /** Shown in help: `--engine <name|id>`. */
  value?: string;
}

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  io: CliIo;
  options: OptionValues;
  positionals: string[];
  json: boolean;
  /** A client for the gateway named by --url / GATEWAY_URL, with --api-key / GATEWAY_API_KEY. */
  client(): GatewayClient;
}

export interface Command {
  /** e.g. ['backup', 'create'] */
  words: string[];
  summary: string;
  /** Positional arguments as shown in help, e.g. '<backup-id>'. */
  args?: string;
  options?: Record<string, OptionSpec>;
  /** Longer help below the options. */
  details?: string;
  run(ctx: CommandContext): Promise<number>;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string', value: '<url>', description: 'Gateway URL (default: $GATEWAY_URL or http://127.0.0.1:4000)' },
  'api-key': { type: 'string', value: '<key>', description: 'API key (default: $GATEWAY_API_KEY)' },
  json: { type: 'boolean', description: 'Machine-readable output on stdout' },
  help: { type: 'boolean', short: 'h', description: 'Show this help' },
};

export const DEFAULT_URL = 'http://127.0.0.1:4000';

export function parseCommandArgs(command: Command, argv: string[]): { options: OptionValues; positionals: string[] } {
  const specs = { ...GLOBAL_OPTIONS, ...command.options };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(specs).map(([name, spec]) => [name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) }]),
      ),
    });
    return { options: values as OptionValues, positionals };
  } catch (error) {
    throw usage(`${(error as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\nRun \`backup-gateway ${command.words.join(' ')} --help\` for usage.`);
  }
}

export function makeContext(io: CliIo, parsed: { options: OptionValues; positionals: string[] }): CommandContext {
  const url = stringOption(parsed.options, 'url') ?? io.env.GATEWAY_URL ?? DEFAULT_URL;
  const apiKey = stringOption(parsed.options, 'api-key') ?? io.env.GATEWAY_API_KEY;
  let client: GatewayClient | undefined;
  return {
    io,
    options: parsed.options,
    positionals: parsed.positionals,
    json: parsed.options.json === true,
    client: () => (client ??= new GatewayClient({ url, apiKey: apiKey || undefined })),
  };
}

export function commandHelp(command: Command): string {
  const specs = { ...command.options, ...GLOBAL_OPTIONS };
  const lines = [`Usage: backup-gateway ${command.words.join(' ')}${command.args ? ` ${command.args}` : ''} [options]`, '', command.summary, '', 'Options:'];
  const labels = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return [flag, spec.description + (spec.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(...labels.map(([flag]) => flag.length));
  for (const [flag, description] of labels) lines.push(`  ${flag.padEnd(width)}  ${description}`);
  if (command.details) lines.push('', command.details.trim());
  return lines.join('\n') + '\n';
}

export function stringOption(options: OptionValues, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a repeatable option; `split` also splits each on commas (`--collections a,b`). */
export function listOption(options: OptionValues, name: string, split = true): string[] {
  const value = options[name];
  if (value === undefined || typeof value === 'boolean') return [];
  const values = Array.isArray(value) ? value.map(String) : [value];
  return split ? values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean) : values;
}

export function requirePositional(ctx: CommandContext, index: number, name: string, command: Command): string {
  const value = ctx.positionals[index];
  if (!value) throw usage(`Missing ${name}.\nUsage: backup-gateway ${command.words.join(' ')} ${command.args ?? ''}`);
  return value;
}

/** One choice among `choices`, case-insensitive, returned upper-case (GraphQL enum values). */
export function enumOption(options: OptionValues, name: string, choices: readonly string[]): string | undefined {
  const value = stringOption(options, name);
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (!choices.includes(upper)) throw usage(`--${name} must be one of ${choices.map((c) => c.toLowerCase()).join(', ')} (got "${value}")`);
  return upper;
}
