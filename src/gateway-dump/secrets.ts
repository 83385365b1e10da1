// Secrets in a gateway dump. Any text value the gateway's SecretBox opens is a sealed secret, whatever table
// holds it (engine secrets today; storage or webhook secrets tomorrow): it is re-sealed for the dump's
// target key, or left out. A value that merely looks sealed but does not open is data, and travels as is.
import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { SecretBox } from '../secret-box.ts';
import type { TableColumn } from './tables.ts';

// v1 (legacy) and v2 (with the KDF salt first) sealed values: see src/secret-box.ts.
const SEALED_SHAPE = /^(v1|v2\.[A-Za-z0-9+/]+={0,2})\.[A-Za-z0-9+/]+={0,2}\.[A-Za-z0-9+/]+={0,2}\.[A-Za-z0-9+/]*={0,2}$/;

/** The box the gateway itself seals with: GATEWAY_SECRET_KEY, or the data dir's secret.key. */
export function gatewaySecretBox(config: Pick<GatewayConfig, 'secretKey' | 'dataDir'>): Promise<SecretBox> {
  return config.secretKey ? Promise.resolve(SecretBox.fromPassphrase(config.secretKey)) : SecretBox.fromKeyFile(config.dataDir);
}

export function looksSealed(value: unknown): value is string {
  return typeof value === 'string' && SEALED_SHAPE.test(value);
}

/** Opens `value` when it is a secret sealed by `box`; undefined otherwise. */
export function tryOpen(box: SecretBox, value: string): { value: unknown } | undefined {
  try {
    return { value: box.open(value) };
  } catch {
    return undefined;
  }
}

/**
 * Rewrites the sealed values of one row for a dump: re-sealed with `target`, or left out (NULL) when `target`
 * is null. Returns the column names of each kind.
 */
export function sealRowForDump(
  row: Record<string, unknown>,
  columns: readonly TableColumn[],
  source: SecretBox,
  target: SecretBox | null,
): { sealed: string[]; omitted: string[] } {
  const sealed: string[] = [];
  const omitted: string[] = [];
  for (const column of columns) {
    const value = row[column.name];
    if (!column.text || !looksSealed(value)) continue;
    const opened = tryOpen(source, value);
    if (!opened) continue;
    if (target) {
      row[column.name] = target.seal(opened.value);
      sealed.push(column.name);
    } else {
      row[column.name] = null;
      omitted.push(column.name);
    }
  }
  return { sealed, omitted };
}

/**
 * Import of a secret left out of the dump, in a column that cannot be empty (a webhook's signing secret):
 * a new random one, sealed here. The import reports it, so the operator rotates it where it is used.
 */
export function replacementSecret(local: SecretBox): string {
  return local.seal(randomBytes(32).toString('base64url'));
}

/** Import: opens each sealed value with the dump's key and seals it with this gateway's. */
export function resealRowFromDump(table: string, row: Record<string, unknown>, sealed: readonly string[], dumpBox: SecretBox | null, local: SecretBox): void {
  for (const column of sealed) {
    const value = row[column];
    if (typeof value !== 'string') continue;
    if (!dumpBox) {
      throw new GatewayError('invalid_configuration', 'The dump holds secrets encrypted for a target key: set GATEWAY_SECRET_KEY to that key, or pass it with --dump-secret-key');
    }
    const opened = tryOpen(dumpBox, value);
    if (!opened) {
      throw new GatewayError(
        'invalid_configuration',
        `Cannot decrypt ${table}.${column} from the dump: it was encrypted for another key than the one given (--dump-secret-key, else GATEWAY_SECRET_KEY)`,
      );
    }
    row[column] = local.seal(opened.value);
  }
}
