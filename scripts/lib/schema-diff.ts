// Dev-time only: the SQL that takes the committed migration history to prisma/schema.prisma, computed
// offline with Prisma's schema engine compiled to WebAssembly and a throwaway in-memory PGlite.
// Used by `npm run db:new` and by the drift test (test/db/drift.test.ts).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import { MIGRATIONS_DIR, runMigrations } from '../../src/db/migrate.ts';
import { PGliteAdapterFactory } from '../../src/db/pglite-adapter.ts';
import { pgliteExecutor } from '../../src/db/sql-executor.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SchemaDiffOptions {
  schemaPath?: string | undefined;
  migrationsDir?: string | undefined;
}

/**
 * Replays the migration history into an empty in-memory PGlite (with the gateway's own runner, the code
 * that applies it in production) and diffs that database against the schema.
 * Returns the migration SQL still missing, or null when schema and history agree.
 */
export async function diffSchemaAgainstMigrations(options: SchemaDiffOptions = {}): Promise<string | null> {
  await loadSchemaEngineWasm();
  const schemaPath = options.schemaPath ?? SCHEMA_PATH;
  const files = [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }];
  const db = await PGlite.create();
  const adapters = new TrackingFactory(new PGliteAdapterFactory(db));
  try {
    await runMigrations(pgliteExecutor(db), { migrationsDir: options.migrationsDir ?? MIGRATIONS_DIR });
    const engine = await glue.SchemaEngine.new(
      { datamodels: files.map((file) => [file.path, file.content]) },
      () => undefined, // engine log lines (JSON); nothing in them we act on
      bindMigrationAwareSqlAdapterFactory(adapters),
    );
    try {
      const result = await engine.diff({
        from: { tag: 'schemaDatasource', files, configDir: REPO_ROOT },
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: true,
        filters: { externalTables: [], externalEnums: [] },
      });
      const sql = result.stdout?.trim() ?? '';
      return result.exitCode === 2 && sql !== '' ? `${sql}\n` : null;
    } finally {
      engine.free();
    }
  } finally {
    // The engine never disposes the connections it opens.
    await adapters.disposeAll();
    await db.close();
  }
}

/** Records every connection the engine opens, so they can be disposed afterwards. */
class TrackingFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName: string;
  readonly #inner: SqlMigrationAwareDriverAdapterFactory;
  readonly #opened: SqlDriverAdapter[] = [];

  constructor(inner: SqlMigrationAwareDriverAdapterFactory) {
    this.#inner = inner;
    this.adapterName = inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.#track(await this.#inner.connect());
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.#track(await this.#inner.connectToShadowDb());
  }

  async disposeAll(): Promise<void> {
    await Promise.all(this.#opened.splice(0).map((adapter) => adapter.dispose()));
  }

  #track(adapter: SqlDriverAdapter): SqlDriverAdapter {
    this.#opened.push(adapter);
    return adapter;
  }
}

let loaded = false;

/**
 * The package's main entry imports its .wasm as an ES module, which Node 20 cannot do, so the module is
 * instantiated here against the package's JS glue. The engine arms a ~10 s timer it never clears; the
 * glue's setTimeout is wrapped so that timer does not keep the process alive.
 */
async function loadSchemaEngineWasm(): Promise<void> {
  if (loaded) return;
  const wasmUrl = new URL('./schema_engine_bg.wasm', import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, value] of Object.entries(glue)) {
    if (name.startsWith('__wbg_setTimeout_') && typeof value === 'function') {
      imports[name] = (...args: unknown[]) => {
        const timer = (value as (...a: unknown[]) => unknown)(...args);
        (timer as { unref?: () => void } | undefined)?.unref?.();
        return timer;
      };
    }
  }
  const module = new WebAssembly.Module(await readFile(wasmUrl));
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': imports as WebAssembly.ModuleImports });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  loaded = true;
}
