// JSON-lines logger on stderr. Every line passes through the redactor, so a registered secret never reaches a log.
import type { LogLevel } from './config.ts';
import type { Logger } from './engines/contract.ts';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const REDACTED = '[redacted]';

/** Secret strings (master key, engine API keys) that must never be printed. */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined | null): void {
    if (secret && secret.length >= 4) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }
}

export interface GatewayLogger extends Logger {
  child(bindings: Record<string, unknown>): GatewayLogger;
}

export function createLogger(options: {
  level: LogLevel;
  redactor: Redactor;
  bindings?: Record<string, unknown>;
  write?: (line: string) => void;
}): GatewayLogger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const bindings = options.bindings ?? {};
  const log = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < RANK[options.level]) return;
    const entry = { time: new Date().toISOString(), level, msg: message, ...bindings, ...fields };
    write(options.redactor.redact(JSON.stringify(entry, errorReplacer)));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const coded = value as Error & { code?: unknown };
    return { name: value.name, message: value.message, code: coded.code, stack: value.stack };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
