// What the gateway's database holds, read from the catalog itself: tables, columns, keys, foreign keys.
// Dumps work on whatever tables prisma/schema.prisma has today, without a list to keep in step.
import type { PrismaClient } from '../db/client.ts';

/** The client, or the transaction client Prisma hands to `$transaction(async (tx) => …)`. */
export type RawSql = Pick<PrismaClient, '$queryRawUnsafe' | '$executeRawUnsafe'>;

/** The migration runner's bookkeeping: never dumped, never compared (each database has its own). */
export const MIGRATIONS_TABLE = '_prisma_migrations';

export interface TableColumn {
  name: string;
  nullable: boolean;
  /** int8 and numeric travel as strings in a dump: JSON numbers lose digits past 2^53. */
  wide: boolean;
  /** A text column: the only kind that can hold a sealed secret. */
  text: boolean;
  /** Filled from a sequence (autoincrement ids): the sequence is moved past imported values. */
  serial: boolean;
}

export interface ForeignKey {
  table: string;
  columns: string[];
  references: string;
}

export interface TableInfo {
  name: string;
  columns: TableColumn[];
  primaryKey: string[];
  foreignKeys: ForeignKey[];
}

export async function describeTables(sql: RawSql): Promise<TableInfo[]> {
  const tables = await sql.$queryRawUnsafe<Array<{ name: string }>>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> $1 ORDER BY table_name`,
    MIGRATIONS_TABLE,
  );
  const columns = await sql.$queryRawUnsafe<Array<{ table: string; name: string; nullable: string; type: string; udt: string; def: string | null }>>(
    `SELECT table_name AS "table", column_name AS name, is_nullable AS nullable, data_type AS type, udt_name AS udt, column_default AS def
     FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  const keys = await sql.$queryRawUnsafe<Array<{ table: string; kind: string; columns: string[]; references: string | null }>>(
    `SELECT ch.relname AS "table", con.contype::text AS kind, pa.relname AS "references",
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord) AS columns
     FROM pg_constraint con
     JOIN pg_class ch ON ch.oid = con.conrelid
     JOIN pg_namespace n ON n.oid = ch.relnamespace
     LEFT JOIN pg_class pa ON pa.oid = con.confrelid
     WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')`,
  );
  return tables.map(({ name }) => ({
    name,
    columns: columns
      .filter((c) => c.table === name)
      .map((c) => ({
        name: c.name,
        nullable: c.nullable === 'YES',
        wide: c.udt === 'int8' || c.udt === 'numeric',
        text: c.udt === 'text' || c.udt === 'varchar' || c.udt === 'bpchar',
        serial: c.def?.startsWith('nextval(') ?? false,
      })),
    primaryKey: keys.find((k) => k.table === name && k.kind === 'p')?.columns ?? [],
    foreignKeys: keys.filter((k) => k.table === name && k.kind === 'f' && k.references !== null).map((k) => ({ table: name, columns: k.columns, references: k.references! })),
  }));
}

/** Parents before children, so rows can be inserted in file order; cycles are broken (see deferredColumns). */
export function insertionOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const ordered: TableInfo[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: TableInfo) => {
    if (state.has(table.name)) return;
    state.set(table.name, 'visiting');
    for (const fk of table.foreignKeys) {
      const parent = byName.get(fk.references);
      if (parent && parent !== table) visit(parent);
    }
    state.set(table.name, 'done');
    ordered.push(table);
  };
  for (const table of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(table);
  return ordered;
}

/**
 * Foreign-key columns whose parent row may not exist yet when rows go in in `order`: self references
 * (Backup.parentId) and the back edge of any cycle. They are inserted NULL and set once every row is in.
 */
export function deferredColumns(table: TableInfo, order: readonly string[]): string[] {
  const position = order.indexOf(table.name);
  return table.foreignKeys.filter((fk) => order.indexOf(fk.references) >= position).flatMap((fk) => fk.columns);
}

export async function countRows(sql: RawSql, table: string): Promise<number> {
  const [row] = await sql.$queryRawUnsafe<Array<{ n: bigint | number }>>(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
  return Number(row?.n ?? 0);
}

/** True when no table (but the migrations' own) has a row: the only database a dump is imported into. */
export async function isDatabaseEmpty(sql: RawSql): Promise<{ empty: boolean; nonEmptyTables: string[] }> {
  const nonEmptyTables: string[] = [];
  for (const table of await describeTables(sql)) {
    const [row] = await sql.$queryRawUnsafe<Array<{ any: boolean }>>(`SELECT EXISTS (SELECT 1 FROM ${quoteIdent(table.name)}) AS "any"`);
    if (row?.any) nonEmptyTables.push(table.name);
  }
  return { empty: nonEmptyTables.length === 0, nonEmptyTables };
}

/** Applied migrations, oldest first. */
export async function appliedMigrations(sql: RawSql): Promise<string[]> {
  const rows = await sql.$queryRawUnsafe<Array<{ name: string }>>(
    `SELECT migration_name AS name FROM ${quoteIdent(MIGRATIONS_TABLE)} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  return rows.map((r) => r.name);
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
