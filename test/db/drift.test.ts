// prisma/schema.prisma and prisma/migrations must describe the same database. When this fails, run
// `npm run db:new -- <name>` and commit the migration it writes.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffSchemaAgainstMigrations, SCHEMA_PATH } from '../../scripts/lib/schema-diff.ts';

describe('schema drift', () => {
  it('prisma/migrations produce exactly prisma/schema.prisma', async () => {
    const missing = await diffSchemaAgainstMigrations();
    expect(missing, 'schema.prisma changed without a migration: run `npm run db:new -- <name>`').toBeNull();
  });

  it('reports the SQL a schema change still needs', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-drift-test-'));
    try {
      const schemaPath = path.join(dir, 'schema.prisma');
      const schema = await readFile(SCHEMA_PATH, 'utf8');
      const changed = schema.replace(/model ApiKey \{\n/, 'model ApiKey {\n  note       String?\n');
      expect(changed).not.toBe(schema);
      await writeFile(schemaPath, changed);
      const missing = await diffSchemaAgainstMigrations({ schemaPath });
      expect(missing).toMatch(/ALTER TABLE "ApiKey" ADD COLUMN\s+"note" TEXT;/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
