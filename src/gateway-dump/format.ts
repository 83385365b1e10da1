// The gateway dump file: gzip'd JSON lines — a header, one line per row (parents first), an end line.
//
//   {"format":"backup-gateway-dump","formatVersion":1,"createdAt":…,"migrations":[…],"secrets":"encrypted",
//    "tables":[{"name":"Engine","columns":["id",…]},…]}
//   {"table":"Engine","row":{…},"sealed":["secrets"]}     sealed: values encrypted for the target key
//   {"table":"Webhook","row":{…},"omitted":["secret"]}    omitted: secret values left out (null)
//   …
//   {"end":true,"rows":{"Engine":1,…}}                     absent = a truncated file, refused on import
import { z } from 'zod';
import { GatewayError } from '../errors.ts';

export const DUMP_FORMAT = 'backup-gateway-dump';
export const DUMP_FORMAT_VERSION = 1;
export const DUMP_FILE_SUFFIX = '.jsonl.gz';

/** `omit`: secret values are left out (NULL); `encrypted`: sealed for the key the dump was made for. */
export type DumpSecretsMode = 'omit' | 'encrypted';

export const DumpHeaderSchema = z.object({
  format: z.literal(DUMP_FORMAT),
  formatVersion: z.literal(DUMP_FORMAT_VERSION),
  createdAt: z.string(),
  gatewayVersion: z.string(),
  database: z.string(),
  migrations: z.array(z.string()),
  secrets: z.enum(['omit', 'encrypted']),
  tables: z.array(z.object({ name: z.string().min(1), columns: z.array(z.string().min(1)) })),
});
export type DumpHeader = z.infer<typeof DumpHeaderSchema>;

export const DumpRowLineSchema = z.object({
  table: z.string().min(1),
  row: z.record(z.string(), z.unknown()),
  sealed: z.array(z.string()).optional(),
  omitted: z.array(z.string()).optional(),
});
export type DumpRowLine = z.infer<typeof DumpRowLineSchema>;

export const DumpEndLineSchema = z.object({ end: z.literal(true), rows: z.record(z.string(), z.number().int().min(0)) });

/** `gateway-20261121-143320889.jsonl.gz`: the UTC start time, as Meilisearch names its dumps. */
export function dumpFileName(at: Date): string {
  const iso = at.toISOString(); // 2026-11-21T14:33:20.889Z
  const uid = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}${iso.slice(20, 23)}`;
  return `gateway-${uid}${DUMP_FILE_SUFFIX}`;
}

export function invalidDump(file: string, reason: string, cause?: unknown): GatewayError {
  return new GatewayError('invalid_gateway_dump', `${file} is not a usable gateway dump: ${reason}`, cause === undefined ? undefined : { cause });
}
