import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGliteAdapterFactory } from '../../src/db/pglite-adapter.ts';
import { pgliteTemplate } from '../helpers/db.ts';

describe('PGliteAdapterFactory', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create({ loadDataDir: await pgliteTemplate() });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('awaits executeScript: a failing script rejects instead of passing as a success', async () => {
    const adapter = await new PGliteAdapterFactory(db).connect();
    // Mapped like the adapter's other errors (DriverAdapterError), keeping PostgreSQL's message.
    await expect(adapter.executeScript('CREATE TABLE "t1" (id int); SELECT * FROM "no_such_table";')).rejects.toMatchObject({
      name: 'DriverAdapterError',
      cause: { kind: 'TableDoesNotExist', originalMessage: expect.stringContaining('no_such_table') },
    });
    expect((await db.query(`SELECT to_regclass('"t1"') AS found`)).rows).toEqual([{ found: null }]);

    await adapter.executeScript('CREATE TABLE "t2" (id int); INSERT INTO "t2" VALUES (7);');
    expect((await db.query('SELECT id FROM "t2"')).rows).toEqual([{ id: 7 }]);
    await adapter.dispose();
  });
});
