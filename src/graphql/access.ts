// Who may run which root field. One table, checked before execution, so no resolver can forget it.
import type { Scope } from '../auth/authenticate.ts';

export const QUERY_SCOPE: Scope = 'VIEWER';
export const SUBSCRIPTION_SCOPE: Scope = 'VIEWER';

/** Mutations not listed here need ADMIN. */
export const MUTATION_SCOPES: Record<string, Scope> = {
  startBackup: 'OPERATOR',
  startRestore: 'OPERATOR',
  cancelJob: 'OPERATOR',
  deleteBackup: 'OPERATOR',
  planRestore: 'VIEWER', // no side effects: a dry run
  verifyBackup: 'OPERATOR',
  syncEngineBackups: 'OPERATOR',
  // storage lifecycle (issue 7): operators run and schedule jobs; admins hold credentials and secrets
  pinBackup: 'OPERATOR',
  reconcileStorage: 'OPERATOR',
  createSchedule: 'OPERATOR',
  updateSchedule: 'OPERATOR',
  pauseSchedule: 'OPERATOR',
  deleteSchedule: 'OPERATOR',
  setRetention: 'OPERATOR',
  applyRetention: 'OPERATOR',
  registerStorage: 'ADMIN',
  updateStorage: 'ADMIN',
  removeStorage: 'ADMIN',
  createWebhook: 'ADMIN',
  deleteWebhook: 'ADMIN',
  updateWebhook: 'ADMIN',
  testStorageLocation: 'ADMIN', // takes credentials and makes the gateway call a URL
  importBackup: 'ADMIN',
  registerEngine: 'ADMIN',
  updateEngine: 'ADMIN',
  removeEngine: 'ADMIN',
  createApiKey: 'ADMIN',
  revokeApiKey: 'ADMIN',
  createGatewayDump: 'ADMIN',
  // engine upgrades (issue 18): the safety copy is backups; the rollback changes the engine's data
  prepareEngineUpgrade: 'OPERATOR',
  rollbackEngineUpgrade: 'ADMIN',
  // engine to engine copy (issue 16): a job, with the target's stored key used but never shown
  copyEngine: 'OPERATOR',
  // backup sets (issue 20)
  startBackupSet: 'OPERATOR',
  verifyBackupSet: 'OPERATOR',
  deleteBackupSet: 'OPERATOR',
  planBackupSetRestore: 'VIEWER', // no side effects: a dry run
  startBackupSetRestore: 'OPERATOR',
};

/** Admin-only queries (they reveal who can do what). */
export const QUERY_FIELD_SCOPES: Record<string, Scope> = {
  apiKeys: 'ADMIN',
  webhooks: 'ADMIN',
  webhookDeliveries: 'ADMIN',
};
