// The protection gauges of /metrics: the same answer as the protectionStatus query (src/catalog/protection.ts),
// read once per scrape however many gauges ask for it (they are collected together: they share the read in flight).
import { Gauge, type Registry } from 'prom-client';
import { readProtectionStatus, type ProtectionStatus } from '../catalog/protection.ts';
import type { PrismaClient } from '../db/client.ts';

const PREFIX = 'backup_gateway_';
export function registerProtectionGauges(prisma: PrismaClient, registers: Registry[]): void {
  let inFlight: Promise<ProtectionStatus> | undefined;
  const read = (): Promise<ProtectionStatus> => {
    inFlight ??= readProtectionStatus(prisma).finally(() => {
      inFlight = undefined; // a later scrape reads afresh
    });
    return inFlight;
  };
  new Gauge({
    name: `${PREFIX}protection_outside_rpo`,
    help: 'Engines whose newest backup is older than their RPO (0 = every scheduled engine is protected)',
    registers,
    async collect() {
      const status = await read();
      this.set(status.engines.filter((e) => e.state === 'OUTSIDE_RPO').length);
    },
  });
  new Gauge({
    name: `${PREFIX}engine_protected`,
    help: 'Per engine: 1 when within its RPO (PROTECTED), 0 when OUTSIDE_RPO, PENDING or UNSCHEDULED; the state label says which',
    labelNames: ['engine', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const engine of (await read()).engines) this.set({ engine: engine.engineName, state: engine.state }, engine.state === 'PROTECTED' ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}engine_backup_age_seconds`,
    help: 'Per engine: seconds since its newest COMPLETE backup finished (absent when there is none)',
    labelNames: ['engine'],
    registers,
    async collect() {
      this.reset();
      for (const engine of (await read()).engines) if (engine.ageSeconds !== null) this.set({ engine: engine.engineName }, engine.ageSeconds);
    },
  });
  new Gauge({
    name: `${PREFIX}engine_rpo_seconds`,
    help: 'Per engine: its RPO, the longest gap between slots of its most frequent active schedule (absent when unscheduled)',
    labelNames: ['engine'],
    registers,
    async collect() {
      this.reset();
      for (const engine of (await read()).engines) if (engine.rpoSeconds !== null) this.set({ engine: engine.engineName }, engine.rpoSeconds);
    },
  });
}
