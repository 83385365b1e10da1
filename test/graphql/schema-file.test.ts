import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSchemaFile } from '../../src/graphql/print-schema.ts';

describe('schema.graphql', () => {
  it('is up to date with the Pothos schema (run `npm run schema` after changing it)', () => {
    const committed = fs.readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(renderSchemaFile());
  });

  it('carries the generated header and the contract names', () => {
    const sdl = renderSchemaFile();
    expect(sdl.startsWith('# Generated')).toBe(true);
    for (const name of [
      'plugins',
      'engines',
      'engine(',
      'registerEngine',
      'updateEngine',
      'removeEngine',
      'jobs(',
      'job(',
      'backups(',
      'backup(',
      'startBackup',
      'startRestore',
      'cancelJob',
      'deleteBackup',
      'createApiKey',
      'revokeApiKey',
      'jobUpdated',
      'jobEvents',
    ]) {
      expect(sdl).toContain(name);
    }
  });
});
