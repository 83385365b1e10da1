// Backup.verifications: the verification history the dashboard's backup detail shows (each VERIFY job of the
// backup: when, outcome, error code), beside verifiedAt which keeps only the newest success.
import { GatewayError } from '../../errors.ts';
import { builder } from '../builder.ts';
import { BackupRef } from './backup.ts';
import { JobRef } from './job.ts';

const MAX_VERIFICATIONS = 100;

builder.objectFields(BackupRef, (t) => ({
  verifications: t.field({
    type: [JobRef],
    description: 'The VERIFY jobs of this backup, newest first: every verification and how it ended',
    args: { first: t.arg.int({ defaultValue: 20, description: `How many, 1–${MAX_VERIFICATIONS}` }) },
    resolve: (backup, { first }, ctx) => {
      const take = first ?? 20;
      if (!Number.isInteger(take) || take < 1 || take > MAX_VERIFICATIONS) throw new GatewayError('invalid_input', `first must be between 1 and ${MAX_VERIFICATIONS}`);
      return ctx.gateway.reports.verificationsOf(backup.id, take);
    },
  }),
}));
