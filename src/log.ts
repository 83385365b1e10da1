// JSON-lines logs through pino on stderr. Fields are redacted by structure before pino sees them (secret-named
// fields, errors, URLs with userinfo), pino's `redact` paths catch the same names in bindings, and every
// finished line passes the value redactor, so a registered secret never reaches a log in any spelling.
// Lines carry the request id or job id (and engine) of the work they were logged for (AsyncLocalStorage).
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { pino, type DestinationStream } from 'pino';
import type { LogLevel } from './config.ts';
import type { Logger } from './engines/contract.ts';
import { REDACTED, redactStructure, Redactor } from './redaction.ts';

export { Redactor } from './redaction.ts';

/** What the current request or job is: added to every line logged while it runs. */
export interface LogScope {
  requestId?: string;
  jobId?: string;
  engine?: string;
}

export const logScope = new AsyncLocalStorage<LogScope>();

export interface GatewayLogger extends Logger {
  child(bindings: Record<string, unknown>): GatewayLogger;
}

/** Path redaction (pino `redact`), the last word on names pino itself might print. */
const REDACT_PATHS = [
  'apiKey',
  'password',
  'secret',
  'token',
  'authorization',
  'variables',
  'query',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  '*.variables',
  '*.query',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(options: { level: LogLevel; redactor: Redactor; bindings?: Record<string, unknown>; write?: (line: string) => void }): GatewayLogger {
  const redact = (text: string) => options.redactor.redact(text);
  const destination: DestinationStream = {
    write: (line: string) => {
      const clean = redact(line.endsWith('\n') ? line.slice(0, -1) : line);
      if (options.write) options.write(clean);
      else output().write(clean + '\n');
    },
  };
  const root = pino(
    {
      level: options.level,
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      mixin: () => ({ ...logScope.getStore() }),
    },
    destination,
  );
  return wrap(options.bindings ? root.child(redactStructure(options.bindings, redact) as Record<string, unknown>) : root, redact);
}

function wrap(logger: pino.Logger, redact: (text: string) => string): GatewayLogger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (!logger.isLevelEnabled(level)) return;
      // msg first among the line's own fields (after level, time and bindings), as tools reading the log expect
      logger[level]({ msg: redact(message), ...(fields ? (redactStructure(fields, redact) as Record<string, unknown>) : {}) });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(logger.child(redactStructure(bindings, redact) as Record<string, unknown>), redact),
  };
}

let stream: { write(text: string): unknown } | null = null;

/**
 * stderr, or pino-pretty on a terminal when it is installed (a development dependency) or LOG_PRETTY=1 asks.
 * Production installs (`--omit=dev`) never load it.
 */
function output(): { write(text: string): unknown } {
  if (stream) return stream;
  stream = process.stderr;
  const wanted = process.env['LOG_PRETTY'] === '1' || (process.env['LOG_PRETTY'] !== '0' && process.stderr.isTTY && process.env['NODE_ENV'] !== 'production');
  if (wanted) {
    try {
      const pretty = createRequire(import.meta.url)('pino-pretty') as (options: Record<string, unknown>) => { write(text: string): unknown };
      stream = pretty({ destination: 2, sync: true, translateTime: 'SYS:HH:MM:ss.l' });
    } catch {
      // not installed: plain JSON lines
    }
  }
  return stream;
}
