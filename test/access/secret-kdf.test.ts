// Issue 13 point 8: the sealing key was SHA-256(GATEWAY_SECRET_KEY), no salt, no work factor. Now scrypt with a
// salt stored in each sealed value; values sealed the old way stay readable and are re-sealed at start.
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/gateway.ts';
import { DB_KINDS, createTestDatabase, type TestDatabase } from '../helpers/db.ts';

const PASSPHRASE = 'kdf-test-secret-key-0123456789';
const API_KEY = 'meili-key-sealed-the-old-way-42';

/** The v1 format as the gateway wrote it before: AES-256-GCM under SHA-256(passphrase), `v1.iv.tag.body`. */
function sealV1(value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', createHash('sha256').update(PASSPHRASE).digest(), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
}

/** Opens a v2 value by the documented derivation: scrypt(passphrase, salt, 32, N=2^15 r=8 p=1). */
function openV2(sealed: string): unknown {
  const [version, salt, iv, tag, body] = sealed.split('.');
  expect(version).toBe('v2');
  const key = scryptSync(PASSPHRASE, Buffer.from(salt!, 'base64'), 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64'));
  decipher.setAuthTag(Buffer.from(tag!, 'base64'));
  return JSON.parse(Buffer.concat([decipher.update(Buffer.from(body!, 'base64')), decipher.final()]).toString('utf8'));
}

for (const kind of DB_KINDS) {
  describe(`sealed secrets: scrypt KDF and re-seal of old values (${kind})`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase(kind);
    });
    afterAll(() => database?.close());

    const start = () =>
      createGateway({ config: loadConfig({ GATEWAY_DATA_DIR: database.dataDir, GATEWAY_SECRET_KEY: PASSPHRASE, GATEWAY_LOG_LEVEL: 'silent' }), database, runJobs: false });

    it('reads a row sealed the old way, re-seals it at start with the scrypt-derived key, and keeps it usable', async () => {
      const legacy = sealV1({ apiKey: API_KEY });
      const engine = await database.prisma.engine.create({ data: { name: 'old', plugin: 'meilisearch', config: { url: 'http://127.0.0.1:9' }, secrets: legacy } });
      const webhook = await database.prisma.webhook.create({
        data: { url: 'http://127.0.0.1:9/hook', events: ['JOB_FAILED'], secret: sealV1('old-webhook-secret-0001'), createdBy: 'test' },
      });

      const gateway = await start();
      try {
        const row = await database.prisma.engine.findUniqueOrThrow({ where: { id: engine.id } });
        expect(row.secrets).not.toBe(legacy);
        expect(openV2(row.secrets!)).toEqual({ apiKey: API_KEY });
        const hook = await database.prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
        expect(openV2(hook.secret)).toBe('old-webhook-secret-0001');
        expect(gateway.engines.publicConfig(row)).toEqual({ url: 'http://127.0.0.1:9', apiKey: '[redacted]' });
        // the new key is not the old unsalted hash
        const [, , iv, tag, body] = row.secrets!.split('.');
        const decipher = createDecipheriv('aes-256-gcm', createHash('sha256').update(PASSPHRASE).digest(), Buffer.from(iv!, 'base64'));
        decipher.setAuthTag(Buffer.from(tag!, 'base64'));
        expect(() => Buffer.concat([decipher.update(Buffer.from(body!, 'base64')), decipher.final()])).toThrow();
      } finally {
        await gateway.close();
      }
      // A second start finds nothing to re-seal and reads what the first wrote; new values share the stored salt.
      const again = await start();
      try {
        const row = await database.prisma.engine.findUniqueOrThrow({ where: { id: engine.id } });
        const updated = await again.engines.update(engine.id, { config: { url: 'http://127.0.0.1:9', apiKey: 'rotated-key-0000001' } }, 'test');
        expect(openV2(updated.secrets!)).toEqual({ apiKey: 'rotated-key-0000001' });
        expect(updated.secrets!.split('.')[1]).toBe(row.secrets!.split('.')[1]);
      } finally {
        await again.close();
      }
    });
  });
}
