// Start-up migration of sealed secrets: values in an older sealed format (v1: SHA-256 of the passphrase, no salt)
// are opened and sealed again in the current one (scrypt/HKDF with a stored salt). A row changed meanwhile by
// another replica is left to it (the update matches the old value only).
import type { PrismaClient } from '../db/client.ts';
import type { Logger } from '../engines/contract.ts';
import { SecretBox } from '../secret-box.ts';

export async function resealSecrets(prisma: PrismaClient, box: SecretBox, logger: Logger): Promise<number> {
  const engines = await prisma.engine.findMany({ where: { secrets: { not: null } }, select: { id: true, secrets: true } });
  const storages = await prisma.storage.findMany({ where: { secrets: { not: null } }, select: { id: true, secrets: true } });
  const webhooks = await prisma.webhook.findMany({ select: { id: true, secret: true } });
  const current = [...engines.map((e) => e.secrets), ...storages.map((s) => s.secrets), ...webhooks.map((w) => w.secret)].find((v) => v && SecretBox.isCurrent(v));
  if (current) box.adoptSaltOf(current);
  let resealed = 0;
  for (const row of engines) {
    if (!row.secrets || SecretBox.isCurrent(row.secrets)) continue;
    resealed += (await prisma.engine.updateMany({ where: { id: row.id, secrets: row.secrets }, data: { secrets: box.seal(box.open(row.secrets)) } })).count;
  }
  for (const row of storages) {
    if (!row.secrets || SecretBox.isCurrent(row.secrets)) continue;
    resealed += (await prisma.storage.updateMany({ where: { id: row.id, secrets: row.secrets }, data: { secrets: box.seal(box.open(row.secrets)) } })).count;
  }
  for (const row of webhooks) {
    if (SecretBox.isCurrent(row.secret)) continue;
    resealed += (await prisma.webhook.updateMany({ where: { id: row.id, secret: row.secret }, data: { secret: box.seal(box.open(row.secret)) } })).count;
  }
  if (resealed > 0) logger.info('re-sealed secrets in the current format (scrypt/HKDF-derived key)', { values: resealed });
  return resealed;
}
