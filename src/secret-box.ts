// Seals engine secrets at rest with AES-256-GCM. The key comes from GATEWAY_SECRET_KEY or a key file in the data dir.
//
// Format v2 (current): `v2.<salt>.<iv>.<tag>.<body>` (base64 parts). The AES key is derived per salt:
// scrypt(GATEWAY_SECRET_KEY, salt, N=2^15, r=8, p=1) — a passphrase needs a slow KDF — or, for the random 32-byte
// data dir key file, HKDF-SHA256(file key, salt, "backup-gateway secret-box v2"). The salt is stored in each value;
// a box seals with one salt (adopted from the values already stored) so one derivation serves them all.
// Format v1 (legacy, read only): `v1.<iv>.<tag>.<body>` with SHA-256(passphrase) or the raw file key; the gateway
// re-seals v1 values as v2 at start (src/catalog/reseal.ts).
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from './errors.ts';

const LEGACY = 'v1';
const CURRENT = 'v2';
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
export const HKDF_INFO = 'backup-gateway secret-box v2';

type Root = { kind: 'passphrase'; passphrase: string } | { kind: 'keyFile'; key: Buffer };

export class SecretBox {
  private readonly derived = new Map<string, Buffer>();
  private sealingSalt: Buffer = randomBytes(16);

  private constructor(private readonly root: Root) {}

  static fromPassphrase(passphrase: string): SecretBox {
    return new SecretBox({ kind: 'passphrase', passphrase });
  }

  /** Reads `<dataDir>/secret.key`, creating it (mode 0600) on first start. */
  static async fromKeyFile(dataDir: string): Promise<SecretBox> {
    const file = path.join(dataDir, 'secret.key');
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    try {
      return new SecretBox({ kind: 'keyFile', key: Buffer.from((await fs.readFile(file, 'utf8')).trim(), 'base64') });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const key = randomBytes(32);
    try {
      await fs.writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      return new SecretBox({ kind: 'keyFile', key });
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return SecretBox.fromKeyFile(dataDir);
      throw error;
    }
  }

  /** True when `sealed` is in the current format (older ones are re-sealed at start). */
  static isCurrent(sealed: string): boolean {
    return sealed.startsWith(`${CURRENT}.`);
  }

  /** Seal from now on with the salt of a stored value, so values keep sharing one derived key. */
  adoptSaltOf(sealed: string): void {
    const [version, salt] = sealed.split('.');
    if (version === CURRENT && salt) this.sealingSalt = Buffer.from(salt, 'base64');
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keyFor(this.sealingSalt), iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return [CURRENT, this.sealingSalt.toString('base64'), iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  open(sealed: string): unknown {
    const parts = sealed.split('.');
    const [version] = parts;
    let key: Buffer;
    let rest: string[];
    if (version === CURRENT && parts.length === 5) {
      rest = parts.slice(2);
      key = this.keyFor(Buffer.from(parts[1]!, 'base64'));
    } else if (version === LEGACY && parts.length === 4) {
      rest = parts.slice(1);
      key = this.root.kind === 'passphrase' ? createHash('sha256').update(this.root.passphrase).digest() : this.root.key;
    } else {
      throw new GatewayError('invalid_configuration', 'Sealed secret has an unknown format');
    }
    const [iv, tag, body] = rest as [string, string, string];
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
      return JSON.parse(text);
    } catch (error) {
      throw new GatewayError('invalid_configuration', 'Cannot decrypt engine secrets: GATEWAY_SECRET_KEY (or data dir secret.key) differs from the one they were sealed with', {
        cause: error,
      });
    }
  }

  private keyFor(salt: Buffer): Buffer {
    const id = salt.toString('base64');
    let key = this.derived.get(id);
    if (!key) {
      key = this.root.kind === 'passphrase' ? scryptSync(this.root.passphrase, salt, 32, SCRYPT_PARAMS) : Buffer.from(hkdfSync('sha256', this.root.key, salt, HKDF_INFO, 32));
      this.derived.set(id, key);
    }
    return key;
  }
}
