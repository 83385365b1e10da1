// The management backup/restore API exactly as MagnetoDB shipped it: metadata rows only. A backup stays
// CREATING with location "location" forever, a restore job stays RESTORING; no data moves, and the table
// is never checked (api/openstack/v1/management/*, storage/backup_manager, storage/restore_manager).
import { randomUUID } from 'node:crypto';
import { MagnetoError, rejectUnexpected, requireInteger, requireObject, requireTableName } from './errors.ts';
import { pythonDateTime } from './tables.ts';

interface BackupRow {
  id: string;
  name: string | null;
  tableName: string;
  strategy: Record<string, unknown>;
  startedAt: Date;
}

interface RestoreRow {
  id: string;
  tableName: string;
  backupId: string | null;
  source: string | null;
  startedAt: Date;
}

type Body = Record<string, unknown>;

/** uuid.UUID(text): anything else raises ValueError, which FaultWrapper turns into an anonymous 500. */
function parseUuid(text: unknown): string {
  const hex =
    typeof text === 'string'
      ? text
          .replace(/^urn:uuid:/, '')
          .replace(/[{}-]/g, '')
          .toLowerCase()
      : '';
  if (!/^[0-9a-f]{32}$/.test(hex)) throw MagnetoError.internal('ValueError');
  return hex;
}

function newId(): string {
  return randomUUID().replaceAll('-', '');
}

export class ManagementStore {
  readonly #backups = new Map<string, Map<string, BackupRow>>();
  readonly #restores = new Map<string, Map<string, RestoreRow>>();

  #rows<T>(all: Map<string, Map<string, T>>, project: string, table: string): Map<string, T> {
    const key = `${project}\u0000${table}`;
    let rows = all.get(key);
    if (rows === undefined) all.set(key, (rows = new Map()));
    return rows;
  }

  createBackup(project: string, table: string, body: unknown, href: string): Body {
    requireTableName(table);
    const { backup_name = null, strategy = {}, ...rest } = requireObject(body, 'body');
    rejectUnexpected(rest, 'body');
    const row: BackupRow = {
      id: newId(),
      name: backup_name === null ? null : String(backup_name),
      tableName: table,
      strategy: requireObject(strategy, 'strategy'),
      startedAt: new Date(),
    };
    this.#rows(this.#backups, project, table).set(row.id, row);
    return formatBackup(row, href);
  }

  listBackups(project: string, table: string, params: URLSearchParams, href: string): Body {
    requireTableName(table);
    const start = params.get('exclusive_start_backup_id');
    const startId = start ? parseUuid(start) : null;
    const limit = params.get('limit') ? requireInteger(params.get('limit'), 'limit', 0) : undefined;
    const rows = [...this.#rows(this.#backups, project, table).values()].sort((a, b) => a.id.localeCompare(b.id)).filter((row) => startId === null || row.id > startId);
    const listed = limit ? rows.slice(0, limit) : rows;
    const response: Body = {};
    if (listed.length > 0 && limit === listed.length) response['last_evaluated_backup_id'] = listed.at(-1)!.id;
    response['backups'] = listed.map((row) => formatBackup(row, href));
    return response;
  }

  describeBackup(project: string, table: string, id: string, href: string): Body {
    requireTableName(table);
    return formatBackup(this.#backup(project, table, id), href);
  }

  /** The row is removed at once and the old record returned. */
  deleteBackup(project: string, table: string, id: string, href: string): Body {
    requireTableName(table);
    const row = this.#backup(project, table, id);
    this.#rows(this.#backups, project, table).delete(row.id);
    return formatBackup(row, href);
  }

  #backup(project: string, table: string, id: string): BackupRow {
    const row = this.#rows(this.#backups, project, table).get(parseUuid(id));
    if (row === undefined) throw new MagnetoError('BackupNotExists', `Backup '${id}' for table '${table}' does not exist`);
    return row;
  }

  createRestore(project: string, table: string, body: unknown, href: string): Body {
    requireTableName(table);
    const { backup_id, source = null, ...rest } = requireObject(body, 'body');
    rejectUnexpected(rest, 'body');
    const row: RestoreRow = {
      id: newId(),
      tableName: table,
      backupId: backup_id ? parseUuid(backup_id) : null,
      source: source === null ? null : String(source),
      startedAt: new Date(),
    };
    this.#rows(this.#restores, project, table).set(row.id, row);
    return formatRestore(row, href);
  }

  listRestores(project: string, table: string, params: URLSearchParams, href: string): Body {
    requireTableName(table);
    const start = params.get('exclusive_start_restore_job_id');
    const startId = start ? parseUuid(start) : null;
    const limit = params.get('limit') ? requireInteger(params.get('limit'), 'limit', 0) : undefined;
    const rows = [...this.#rows(this.#restores, project, table).values()].sort((a, b) => a.id.localeCompare(b.id)).filter((row) => startId === null || row.id > startId);
    const listed = limit ? rows.slice(0, limit) : rows;
    const response: Body = {};
    if (listed.length > 0 && limit === listed.length) response['last_evaluated_restore_job_id'] = listed.at(-1)!.id;
    response['restore_jobs'] = listed.map((row) => formatRestore(row, href));
    return response;
  }

  describeRestore(project: string, table: string, id: string, href: string): Body {
    requireTableName(table);
    const row = this.#rows(this.#restores, project, table).get(parseUuid(id));
    if (row === undefined) throw new MagnetoError('RestoreJobNotExists', `Restore job '${id}' for table '${table}' does not exist`);
    return formatRestore(row, href);
  }
}

function formatBackup(row: BackupRow, href: string): Body {
  return {
    backup_id: row.id,
    backup_name: row.name,
    table_name: row.tableName,
    status: 'CREATING',
    strategy: row.strategy,
    start_date_time: pythonDateTime(row.startedAt),
    location: 'location',
    links: [
      { rel: 'self', href: `${href}/${row.id}` },
      { rel: 'location', href: 'location' },
    ],
  };
}

function formatRestore(row: RestoreRow, href: string): Body {
  return {
    restore_job_id: row.id,
    table_name: row.tableName,
    status: 'RESTORING',
    start_date_time: pythonDateTime(row.startedAt),
    ...(row.backupId === null ? {} : { backup_id: row.backupId }),
    ...(row.source === null ? {} : { source: row.source }),
    links: [
      { rel: 'self', href: `${href}/${row.id}` },
      { rel: 'source', href: row.source },
    ],
  };
}
