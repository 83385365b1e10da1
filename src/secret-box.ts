// Seals engine secrets at rest with AES-256-GCM. The key comes from GATEWAY_SECRET_KEY or a key file in the data dir.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from './errors.ts';

const VERSION = 'v1';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromPassphrase(passphrase: string): SecretBox {
    return new SecretBox(createHash('sha256').update(passphrase).digest());
  }

  /** Reads `<dataDir>/secret.key`, creating it (mode 0600) on first start. */
  static async fromKeyFile(dataDir: string): Promise<SecretBox> {
    const file = path.join(dataDir, 'secret.key');
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    try {
      return new SecretBox(Buffer.from((await fs.readFile(file, 'utf8')).trim(), 'base64'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const key = randomBytes(32);
    try {
      await fs.writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      return new SecretBox(key);
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return SecretBox.fromKeyFile(dataDir);
      throw error;
    }
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  open(sealed: string): unknown {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) {
      throw new GatewayError('invalid_configuration', 'Sealed secret has an unknown format');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
      return JSON.parse(text);
    } catch (error) {
      throw new GatewayError(
        'invalid_configuration',
        'Cannot decrypt engine secrets: GATEWAY_SECRET_KEY (or data dir secret.key) differs from the one they were sealed with',
        { cause: error },
      );
    }
  }
}
