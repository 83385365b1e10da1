// Backup fields and mutations of the storage lifecycle: where a backup lives, its encryption, pin, damage; verify.
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { BackupRef } from './backup.ts';
import { JobRef } from './job.ts';
import { StorageCredentialsInput, StorageRef } from './storage.ts';

const BackupEncryptionRef = builder.objectRef<{ format: string; recipients: string[] }>('BackupEncryption').implement({
  description: 'Every file but manifest.json is an age file encrypted to these recipients; open one with `age -d -i <identity file>`',
  fields: (t) => ({ format: t.exposeString('format'), recipients: t.exposeStringList('recipients') }),
});

const DamagedFileRef = builder.objectRef<{ path: string; problem: string; message?: string }>('DamagedFile').implement({
  fields: (t) => ({
    path: t.exposeString('path'),
    problem: t.exposeString('problem', { description: 'missing, size_mismatch, sha256_mismatch, unreadable or invalid' }),
    message: t.string({ nullable: true, resolve: (f) => f.message ?? null }),
  }),
});

const BackupDamageRef = builder.objectRef<{ at: string; source: string; files: Array<{ path: string; problem: string; message?: string }> }>('BackupDamage').implement({
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (d) => d.at }),
    source: t.exposeString('source', { description: 'verify or reconcile' }),
    files: t.field({ type: [DamagedFileRef], resolve: (d) => d.files }),
  }),
});

builder.objectFields(BackupRef, (t) => ({
  storage: t.field({
    type: StorageRef,
    nullable: true,
    description: 'The registered or built-in location holding the files; null for a per-job external location (see location)',
    resolve: (b, _a, ctx) => (b.externalLocation ? null : ctx.gateway.storages.find(b.storageId ?? 'local')),
  }),
  externalLocation: t.boolean({ description: 'Stored in a per-job external location: restore and verify need its credentials again', resolve: (b) => b.externalLocation !== null }),
  encryption: t.field({ type: BackupEncryptionRef, nullable: true, resolve: (b) => (b.encryption as { format: string; recipients: string[] } | null) ?? null }),
  pinned: t.exposeBoolean('pinned', { description: 'Never deleted by retention' }),
  damage: t.field({ type: BackupDamageRef, nullable: true, description: 'What made it DAMAGED', resolve: (b) => (b.damage as never) ?? null }),
  scheduleId: t.exposeID('scheduleId', { nullable: true }),
}));

builder.mutationFields((t) => ({
  verifyBackup: t.field({
    type: JobRef,
    description:
      'A VERIFY job: re-reads every file (size, sha256), decrypts and decompresses it, counts documents; a mismatch marks the backup DAMAGED. restoreTest also restores into scratch collections, compares counts and drops them',
    args: {
      id: t.arg.id({ required: true }),
      restoreTest: t.arg.boolean({ defaultValue: false }),
      engineId: t.arg.id({ description: "The engine of the restore test; the backup's own when omitted" }),
      credentials: t.arg({ type: StorageCredentialsInput, description: 'For a backup in an external location' }),
    },
    resolve: (_r, args, ctx) =>
      ctx.gateway.jobs.startVerify(
        { backupId: String(args.id), restoreTest: args.restoreTest, engineId: args.engineId ? String(args.engineId) : null, credentials: args.credentials },
        actorOf(ctx),
      ),
  }),
  pinBackup: t.field({
    type: BackupRef,
    description: 'Pinned backups are never deleted by retention; pinned: false unpins',
    args: { id: t.arg.id({ required: true }), pinned: t.arg.boolean({ defaultValue: true }) },
    resolve: (_r, { id, pinned }, ctx) => ctx.gateway.backups.setPinned(String(id), pinned ?? true, actorOf(ctx)),
  }),
}));
