// The embedded database starts with small shared buffers (issue 17: idle memory and start-up), and
// GATEWAY_EMBEDDED_SHARED_BUFFERS sets them; a value PostgreSQL would not take is refused by the config.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/open.ts';

async function sharedBuffers(value: string | undefined): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-shared-buffers-'));
  try {
    const config = loadConfig({ GATEWAY_DATA_DIR: dataDir, ...(value ? { GATEWAY_EMBEDDED_SHARED_BUFFERS: value } : {}) });
    const db = await openDatabase({ dataDir, sharedBuffers: config.embeddedSharedBuffers });
    try {
      const rows = await db.prisma.$queryRawUnsafe<Array<{ shared_buffers: string }>>('SHOW shared_buffers');
      return rows[0]!.shared_buffers;
    } finally {
      await db.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('embedded database settings', () => {
  it('starts PGlite with 16MB of shared buffers, or what GATEWAY_EMBEDDED_SHARED_BUFFERS says', async () => {
    expect(await sharedBuffers(undefined)).toBe('16MB');
    expect(await sharedBuffers('8MB')).toBe('8MB');
  });

  it('refuses a size PostgreSQL would not read', () => {
    expect(() => loadConfig({ GATEWAY_EMBEDDED_SHARED_BUFFERS: '16 megabytes' })).toThrow(/GATEWAY_EMBEDDED_SHARED_BUFFERS/);
  });
});
