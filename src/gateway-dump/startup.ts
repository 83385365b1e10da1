// `backup-gateway serve --import-dump <file>`: loads a gateway dump before the gateway starts, following
// Meilisearch's rules: an existing database or a missing file stops the start unless told to ignore it.
import { access } from 'node:fs/promises';
import type { GatewayConfig } from '../config.ts';
import { openDatabase } from '../db/open.ts';
import { GatewayError } from '../errors.ts';
import type { GatewayLogger } from '../log.ts';
import { importGatewayDump, notEmpty, type ImportDumpResult } from './import.ts';
import { gatewaySecretBox } from './secrets.ts';
import { isDatabaseEmpty } from './tables.ts';

export interface ImportAtStartOptions {
  file: string;
  /** A non-empty database: start with it and skip the dump (default: stop with database_not_empty). */
  ignoreIfDatabaseExists?: boolean;
  /** No such file: start without it (default: stop with file_not_found). */
  ignoreMissing?: boolean;
  dumpSecretKey?: string | null;
}

export type ImportAtStartOutcome =
  { outcome: 'imported'; result: ImportDumpResult } | { outcome: 'skipped_missing_file' } | { outcome: 'skipped_database_exists'; nonEmptyTables: string[] };

export async function importDumpAtStart(config: GatewayConfig, options: ImportAtStartOptions, logger: GatewayLogger): Promise<ImportAtStartOutcome> {
  if (!(await exists(options.file))) {
    if (!options.ignoreMissing) throw new GatewayError('file_not_found', `The gateway dump ${options.file} does not exist (--ignore-missing-dump starts without it)`);
    logger.warn('gateway dump not found: starting without it (--ignore-missing-dump)', { file: options.file });
    return { outcome: 'skipped_missing_file' };
  }
  const db = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, sharedBuffers: config.embeddedSharedBuffers, logger });
  try {
    const { empty, nonEmptyTables } = await isDatabaseEmpty(db.prisma);
    if (!empty) {
      if (!options.ignoreIfDatabaseExists) throw notEmpty(nonEmptyTables);
      logger.warn('the database already holds data: the gateway dump is ignored (--ignore-dump-if-db-exists)', { file: options.file, nonEmptyTables });
      return { outcome: 'skipped_database_exists', nonEmptyTables };
    }
    const result = await importGatewayDump(
      { prisma: db.prisma, secretBox: await gatewaySecretBox(config) },
      { file: options.file, dumpSecretKey: options.dumpSecretKey ?? config.secretKey ?? null },
    );
    logger.info('gateway dump imported', {
      file: options.file,
      createdAt: result.header.createdAt,
      rows: Object.fromEntries(result.tables.map((t) => [t.name, t.rows])),
      endedJobs: result.endedJobs,
    });
    for (const omitted of result.omittedSecrets) {
      logger.warn(
        omitted.replaced
          ? `${omitted.column}: the dump was made without secrets; a new random value was set in ${omitted.rows} row(s): rotate it where it is used`
          : `${omitted.column}: the dump was made without secrets; ${omitted.rows} row(s) have none (engines: give their secrets again with updateEngine)`,
      );
    }
    return { outcome: 'imported', result };
  } finally {
    await db.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
