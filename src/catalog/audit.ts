// Who did what, when: one row per state-changing action.
import type { PrismaClient } from '../db/client.ts';

export class AuditLog {
  constructor(private readonly prisma: PrismaClient) {}

  async record(actor: string, action: string, targetType: string | null, targetId: string | null, details?: object): Promise<void> {
    await this.prisma.auditEntry.create({ data: { actor, action, targetType, targetId, details: details ?? {} } });
  }
}
