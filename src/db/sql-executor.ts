// The two raw-SQL operations the migration runner needs, over a PGlite instance or a `pg` client.
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

export interface SqlExecutor {
  /** One parameterised statement; returns its rows. */
  query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /**
   * A whole script as ONE simple-protocol query: several statements, and PostgreSQL runs them as one
   * implicit transaction, so a failing script leaves nothing behind.
   */
  execScript(sql: string): Promise<void>;
}

export function pgliteExecutor(db: PGlite): SqlExecutor {
  return {
    async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      return (await db.query<Row>(sql, params)).rows;
    },
    async execScript(sql) {
      await db.exec(sql);
    },
  };
}

/** A single connection (not a pool): the advisory lock belongs to the session that took it. */
export function pgClientExecutor(client: pg.Client | pg.PoolClient): SqlExecutor {
  return {
    async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      return (await client.query<Row>(sql, params)).rows;
    },
    async execScript(sql) {
      // Without values node-postgres uses the simple query protocol, which accepts several statements.
      await client.query(sql);
    },
  };
}
