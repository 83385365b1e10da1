// Prisma driver adapter factory for PGlite: pglite-prisma-adapter with its script execution fixed.
import { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { embeddedOptions } from './pglite-settings.ts';

/**
 * pglite-prisma-adapter 0.7.2's `executeScript` does not await `db.exec()`: a failing script counts as a
 * success and its error surfaces later as an unhandled rejection. This factory hands out adapters whose
 * `executeScript` awaits, and whose shadow database is closed when disposed.
 */
export class PGliteAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName: string;
  readonly #db: PGlite;
  readonly #inner: PrismaPGlite;

  constructor(db: PGlite) {
    this.#db = db;
    this.#inner = new PrismaPGlite(db);
    this.adapterName = this.#inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    return awaitScripts(await this.#inner.connect(), this.#db);
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const shadow = await PGlite.create(embeddedOptions());
    const adapter = awaitScripts(await new PrismaPGlite(shadow).connect(), shadow);
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await shadow.close();
    };
    return adapter;
  }
}

function awaitScripts(adapter: SqlDriverAdapter, db: PGlite): SqlDriverAdapter {
  // The adapter's own error mapping (PGlite DatabaseError -> DriverAdapterError), not part of its public type.
  const onError = (adapter as unknown as { onError?: (error: unknown) => never }).onError?.bind(adapter);
  adapter.executeScript = async (script: string) => {
    try {
      await db.exec(script);
    } catch (error) {
      if (onError) onError(error);
      throw error;
    }
  };
  return adapter;
}
