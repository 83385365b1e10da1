// protectionStatus: "is each engine protected, and since when" — the dashboard's landing view,
// `backup-gateway status` and the protection gauges of /metrics read the same answer (src/catalog/protection.ts).
// Descriptions sit beside the fields (not in descriptions.ts) so this file stands alone.
import { RPO_TOLERANCE, type EngineProtection, type ProtectionStatus } from '../../catalog/protection.ts';
import { builder } from '../builder.ts';
import { EngineRef } from './engine.ts';

const ProtectionStateEnum = builder.enumType('ProtectionState', {
  description: `PROTECTED: the newest COMPLETE backup is younger than ${RPO_TOLERANCE} × the RPO; OUTSIDE_RPO: it is older, or there is none although a schedule has been active that long; PENDING: scheduled, first backup not due yet; UNSCHEDULED: no active schedule, so no RPO`,
  values: {
    PROTECTED: { description: 'Within the RPO' },
    OUTSIDE_RPO: { description: 'The newest backup is too old, or missing' },
    PENDING: { description: 'Scheduled; the first backup is not due yet' },
    UNSCHEDULED: { description: 'No active schedule: no RPO to hold the engine to' },
  } as const,
});

const EngineProtectionRef = builder.objectRef<EngineProtection>('EngineProtection').implement({
  description: 'How well one engine is protected by its backups now',
  fields: (t) => ({
    engine: t.field({ type: EngineRef, nullable: true, description: 'The engine', resolve: (p, _a, ctx) => ctx.gateway.engines.find(p.engineId) }),
    engineName: t.exposeString('engineName', { description: "The engine's name" }),
    plugin: t.exposeString('plugin', { description: "The engine's plugin" }),
    state: t.field({ type: ProtectionStateEnum, description: 'Protected, outside its RPO, pending or unscheduled', resolve: (p) => p.state }),
    lastBackupAt: t.field({ type: 'DateTime', nullable: true, description: 'When the newest COMPLETE backup finished', resolve: (p) => p.lastBackupAt }),
    lastBackupId: t.exposeID('lastBackupId', { nullable: true, description: 'The newest COMPLETE backup' }),
    ageSeconds: t.exposeFloat('ageSeconds', { nullable: true, description: 'Seconds since the newest COMPLETE backup finished; null when there is none' }),
    rpoSeconds: t.exposeFloat('rpoSeconds', {
      nullable: true,
      description: "The recovery point objective: the longest gap between the slots of the engine's most frequent active schedule; null when unscheduled",
    }),
    nextRunAt: t.field({ type: 'DateTime', nullable: true, description: 'The next slot of any active schedule of the engine', resolve: (p) => p.nextRunAt }),
    activeSchedules: t.exposeInt('activeSchedules', { description: 'Schedules of the engine that are not paused' }),
    lastVerifiedAt: t.field({ type: 'DateTime', nullable: true, description: 'The newest verification of any backup of the engine', resolve: (p) => p.lastVerifiedAt }),
    failuresLast7Days: t.exposeInt('failuresLast7Days', { description: 'Jobs on the engine that ended FAILED in the last 7 days' }),
    storageBytes: t.field({ type: 'BigInt', description: 'Bytes held by the COMPLETE backups of the engine', resolve: (p) => p.storageBytes }),
    backupCount: t.exposeInt('backupCount', { description: 'COMPLETE backups of the engine' }),
  }),
});

const ProtectionStatusRef = builder.objectRef<ProtectionStatus>('ProtectionStatus').implement({
  description: 'Whether every engine is protected: one row per registered engine, by name',
  fields: (t) => ({
    generatedAt: t.field({ type: 'DateTime', description: 'When this answer was read from the catalog', resolve: (s) => s.generatedAt }),
    outsideRpo: t.exposeBoolean('outsideRpo', { description: 'True when any engine is OUTSIDE_RPO' }),
    engines: t.field({ type: [EngineProtectionRef], description: 'Every registered engine', resolve: (s) => s.engines }),
  }),
});

builder.queryField('protectionStatus', (t) =>
  t.field({
    type: ProtectionStatusRef,
    description: 'Is each engine protected, and since when: newest backup against the schedule interval (RPO), next run, verification, failures, storage',
    resolve: (_root, _args, ctx) => ctx.gateway.reports.protection(),
  }),
);
