// One CLI command: its words, options, help text and what it runs (run.ts turns them into commander commands).
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

/** Options every command takes, anywhere on the line (before or after the command's words). */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string', value: '<url>', description: 'Gateway URL (default: $GATEWAY_URL or http://127.0.0.1:4000)' },
  'api-key': { type: 'string', value: '<key>', description: 'API key (default: $GATEWAY_API_KEY)' },
  json: { type: 'boolean', description: 'Machine-readable output on stdout (the same as -o json)' },
  output: { type: 'string', short: 'o', value: '<table|json|yaml>', description: 'Output format (default: table)' },
};

export const DEFAULT_URL = 'http://127.0.0.1:4000';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;

export function makeContext(io: CliIo, parsed: { options: OptionValues; positionals: string[] }): CommandContext {
  const url = stringOption(parsed.options, 'url') ?? io.env.GATEWAY_URL ?? DEFAULT_URL;
  const apiKey = stringOption(parsed.options, 'api-key') ?? io.env.GATEWAY_API_KEY;
  const format = outputFormat(parsed.options);
  let client: GatewayClient | undefined;
  return {
    io: { ...io, format: format === 'yaml' ? 'yaml' : 'json' },
    options: parsed.options,
    positionals: parsed.positionals,
    json: format !== 'table',
    client: () => (client ??= new GatewayClient({ url, apiKey: apiKey || undefined })),
  };
}

/** `-o table|json|yaml`; `--json` is `-o json`. */
export function outputFormat(options: OptionValues): (typeof OUTPUT_FORMATS)[number] {
  const output = stringOption(options, 'output');
  if (output === undefined) return options.json === true ? 'json' : 'table';
  const format = OUTPUT_FORMATS.find((f) => f === output.toLowerCase());
  if (!format) throw usage(`-o must be one of ${OUTPUT_FORMATS.join(', ')} (got "${output}")`);
  return format;
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
  return split
    ? values
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean)
    : values;
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
