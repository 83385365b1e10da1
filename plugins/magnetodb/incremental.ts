// Incremental backups: MagnetoDB keeps no update time of its own, so the engine config names, per table, the
// attribute the application writes one into (`updatedAtAttribute`), and how it is written. An incremental
// scan keeps the items whose update time is at or after the cut with a server-side `scan_filter` (GE), in
// the attribute's own type: ISO-8601 strings compare as strings, epoch numbers as numbers.
import { z } from 'zod';
import { GatewayError } from '../../src/errors.ts';
import type { ScanFilter, TableDescription } from './client.ts';
import { ATTRIBUTE_NAME, TABLE_NAME } from './table-schema.ts';

/** How the application stores an item's update time. */
export const UPDATED_AT_FORMATS = ['iso8601', 'epochMillis', 'epochSeconds'] as const;
export type UpdatedAtFormat = (typeof UPDATED_AT_FORMATS)[number];

const attributeName = z.string().regex(ATTRIBUTE_NAME, 'not a MagnetoDB attribute name');

/** `"updated_at"` (an ISO-8601 string) or `{ "attribute": "updated_ms", "format": "epochMillis" }`. */
export const updatedAtSetting = z.union([attributeName, z.strictObject({ attribute: attributeName, format: z.enum(UPDATED_AT_FORMATS).default('iso8601') })]);
export type UpdatedAtSetting = z.infer<typeof updatedAtSetting>;

export const updatedAtAttributeConfig = z.record(z.string().regex(TABLE_NAME, 'not a MagnetoDB table name'), updatedAtSetting);

/** The config key the errors and the README point at. */
export const CONFIG_KEY = 'updatedAtAttribute';

export interface ChangeTracking {
  table: string;
  attribute: string;
  format: UpdatedAtFormat;
}

/** The MagnetoDB type the format is stored in. */
export function storedType(format: UpdatedAtFormat): 'S' | 'N' {
  return format === 'iso8601' ? 'S' : 'N';
}

/**
 * The change tracking of each table, checked against its schema before anything is written. A table with no
 * configured attribute, or one whose schema contradicts the configured format, cannot be backed up
 * incrementally: `incremental_not_supported`, naming every such table and the config key to set.
 */
export function resolveChangeTracking(tables: TableDescription[], config: Record<string, UpdatedAtSetting> | undefined): ChangeTracking[] {
  const resolved: ChangeTracking[] = [];
  const unconfigured: string[] = [];
  const contradicted: { table: string; reason: string }[] = [];
  for (const table of tables) {
    const name = table.table_name;
    const setting = config?.[name];
    if (setting === undefined) {
      unconfigured.push(name);
      continue;
    }
    const tracking: ChangeTracking = typeof setting === 'string' ? { table: name, attribute: setting, format: 'iso8601' } : { table: name, ...setting };
    const hashKey = table.key_schema.find((key) => key.key_type === 'HASH')?.attribute_name;
    const declared = table.attribute_definitions.find((definition) => definition.attribute_name === tracking.attribute)?.attribute_type;
    if (tracking.attribute === hashKey) {
      contradicted.push({ table: name, reason: `${tracking.attribute} is the hash key, which a scan cannot filter by range` });
    } else if (declared !== undefined && declared !== storedType(tracking.format)) {
      contradicted.push({
        table: name,
        reason: `${tracking.attribute} is declared ${declared} in the table schema, but format ${tracking.format} is stored as ${storedType(tracking.format)}`,
      });
    } else {
      resolved.push(tracking);
    }
  }
  if (unconfigured.length > 0) {
    throw new GatewayError(
      'incremental_not_supported',
      `MagnetoDB keeps no update time of its own, so an incremental backup can only select changed items by an attribute the application writes: ` +
        `set ${CONFIG_KEY}.<table> in the engine config for ${unconfigured.map((name) => `"${name}"`).join(', ')} (or take a FULL backup)`,
      { details: { collections: unconfigured, configKey: CONFIG_KEY } },
    );
  }
  if (contradicted.length > 0) {
    const problems = contradicted.map(({ table, reason }) => `${table}: ${reason}`).join('; ');
    throw new GatewayError('incremental_not_supported', `${CONFIG_KEY} in the engine config does not fit the table schema (${problems})`, {
      details: { collections: contradicted.map(({ table }) => table), configKey: CONFIG_KEY },
    });
  }
  return resolved;
}

export interface ChangeFilter {
  attribute: string;
  /** The scan_filter keeping changed items. */
  filter: ScanFilter;
  /** The scan_filter of the items lacking the attribute (never captured by an increment). */
  missing: ScanFilter;
  /** What the filter keeps, for warnings and logs. */
  description: string;
}

/**
 * Items whose update time is at or after the cut (`changedSince` minus the configured overlap). GE, not GT:
 * an item stamped exactly at the cut may have been written after the parent's scan passed its key; taking
 * it again is harmless (a chain restore writes by key), missing it is not.
 * - iso8601: GE the cut truncated to the second, `YYYY-MM-DDTHH:MM:SS` — a prefix of every ISO-8601 UTC
 *   spelling of the instants of that second (`…:SSZ`, `…:SS.sssZ`, `…:SS.ssssssZ`), so all of them and
 *   every later instant compare greater or equal as strings, whatever fraction the writer uses.
 * - epochMillis / epochSeconds: GE the cut as a number (seconds rounded down), compared numerically.
 */
export function changeFilter(tracking: ChangeTracking, changedSince: string, overlapMs: number): ChangeFilter {
  const since = Date.parse(changedSince);
  if (Number.isNaN(since)) throw new GatewayError('invalid_input', `changedSince ${JSON.stringify(changedSince.slice(0, 64))} is not an ISO-8601 instant`);
  const cut = since - overlapMs;
  const { attribute, format } = tracking;
  let value: Record<string, string>;
  let spelled: string;
  if (format === 'iso8601') {
    spelled = new Date(cut).toISOString().slice(0, 19);
    value = { S: spelled };
  } else {
    spelled = String(format === 'epochMillis' ? cut : Math.floor(cut / 1000));
    value = { N: spelled };
  }
  return {
    attribute,
    filter: { [attribute]: { comparison_operator: 'GE', attribute_value_list: [value] } },
    missing: { [attribute]: { comparison_operator: 'NULL' } },
    description: `items of ${tracking.table} whose ${attribute} (${format}) is >= ${spelled}`,
  };
}
