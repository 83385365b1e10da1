// Descriptions of the public API that its type files leave out, in one place so the contract reads as a whole
// (GraphiQL's docs, schema.graphql). A description written beside a field wins; this table fills the rest, and a
// key naming nothing in the schema stops the start (it would be a description silently lost).
// Keys: `Type`, `Type.field`, `Type.field(argument)` (Query/Mutation/Subscription fields and their arguments too).
import { isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';

const ID_OF = (what: string) => `The id of the ${what}`;

export const API_DESCRIPTIONS: Record<string, string> = {
  // Types
  Artifact: 'One file of a backup, as stored: its path in the backup, size and checksum',
  BackupCollection: 'One collection (index) in a backup, with what was read from it',
  BackupConnection: 'A page of backups, newest first',
  BackupDamage: 'What verification or reconciliation found wrong with a backup',
  BackupStatus: 'PENDING while written; COMPLETE; FAILED (its job failed); DELETED (files removed, record kept); MISSING (gone from the engine side); DAMAGED (a file is missing or does not match)',
  BackupStrategy: 'LOGICAL: the gateway reads documents through the engine API; NATIVE: the engine writes its own snapshot or dump',
  BackupType: 'FULL: everything; INCREMENTAL: what changed since the parent backup (engines that support it)',
  CreateApiKeyInput: 'A new API key',
  CreateGatewayDumpInput: 'What a gateway dump holds',
  CreateScheduleInput: 'A new backup schedule',
  CreateWebhookInput: 'A new webhook',
  CreatedApiKey: 'A new API key and its value, shown only this once',
  DamagedFile: 'One file found missing or wrong',
  EngineCollection: 'A collection (index) as the engine lists it now',
  EngineHealth: "The engine's answer to a health check, asked once per engine per request",
  GatewayDumpTable: 'One table in a gateway dump and its row count',
  ImportBackupInput: 'A backup file on the gateway host to catalog',
  Job: 'A backup, restore, verify or delete run in the background',
  JobConnection: 'A page of jobs, newest first',
  JobError: 'Why a job failed: a catalogue code, its type and a message',
  JobEvent: 'A phase or status change of a job, kept with the job',
  JobKind: 'What a job does',
  JobStatus: 'QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELED (CANCELING while the engine side stops)',
  PageInfo: 'Where a page ends: pass endCursor as `after` for the next one',
  ReconcileMissing: 'A file the catalog lists that storage does not hold (or holds with another size)',
  ReconcileOrphan: 'An object in storage that no live backup owns',
  ReconcileResult: 'What reconcileStorage compared and found',
  RegisterEngineInput: 'A new engine connection',
  RegisterStorageInput: 'A new storage location (file:// or s3://)',
  RenameInput: 'Restore collection `from` of the backup as `to`',
  RetentionDecision: 'One backup in a retention plan: kept or deleted, and why',
  StartBackupInput: 'What to back up, how and where',
  StartRestoreInput: 'Which backup to restore, into which engine and collections',
  StorageKind: 'LOCAL: a folder on the gateway host; S3: an S3-compatible bucket',
  SyncResult: 'What syncEngineBackups found',
  UpdateEngineInput: 'Changes to an engine connection; omitted fields stay',
  UpdateScheduleInput: 'Changes to a schedule; omitted fields stay',
  UpdateStorageInput: 'Changes to a storage location; omitted fields stay',
  WebhookAttempt: 'One attempt to deliver an event',
  WebhookDeliveryStatus: 'PENDING (waiting for its next attempt), SENDING, DELIVERED, FAILED (attempts used up)',

  // Queries
  'Query.apiKeys': 'Every API key (values are never shown again; revoked ones included)',
  'Query.backup': 'One backup by id; null when there is none',
  'Query.backup(id)': ID_OF('backup'),
  'Query.backups': 'The catalog, newest first, a page at a time',
  'Query.backups(after)': 'endCursor of the previous page',
  'Query.backups(engineId)': 'Only backups of this engine',
  'Query.backups(first)': 'Page size, 1–500',
  'Query.backups(status)': 'Only backups in these statuses',
  'Query.engine': 'One engine by id; null when there is none',
  'Query.engine(id)': ID_OF('engine'),
  'Query.engines': 'Every registered engine',
  'Query.job': 'One job by id; null when there is none',
  'Query.job(id)': ID_OF('job'),
  'Query.jobs': 'Jobs, newest first, a page at a time',
  'Query.jobs(after)': 'endCursor of the previous page',
  'Query.jobs(engineId)': 'Only jobs on this engine',
  'Query.jobs(first)': 'Page size, 1–500',
  'Query.jobs(kind)': 'Only jobs of these kinds',
  'Query.jobs(status)': 'Only jobs in these statuses',
  'Query.planRetention(engineId)': ID_OF('engine'),
  'Query.planRetention(policy)': 'Plan with this policy instead of the stored one',
  'Query.plugins': 'The installed engine plugins and their config schemas',
  'Query.schedule': 'One schedule by id; null when there is none',
  'Query.schedule(id)': ID_OF('schedule'),
  'Query.schedules': 'Backup schedules',
  'Query.schedules(engineId)': 'Only schedules of this engine',
  'Query.storage': 'One storage location by id ("local" = built in); null when there is none',
  'Query.storage(id)': ID_OF('storage location'),
  'Query.storages': 'Every storage location, the built-in one first',
  'Query.webhookDeliveries(first)': 'How many, 1–500',
  'Query.webhookDeliveries(webhookId)': 'Only deliveries of this webhook',
  'Query.webhooks': 'Every webhook (secrets are never shown)',

  // Mutations
  'Mutation.applyRetention(engineId)': ID_OF('engine'),
  'Mutation.cancelJob': 'Cancels a job: a queued one ends at once, a running one is stopped (a restore rolls back)',
  'Mutation.cancelJob(id)': ID_OF('job'),
  'Mutation.createApiKey': 'Creates an API key; its value is in the answer and never shown again',
  'Mutation.createApiKey(input)': 'Name and scope of the key',
  'Mutation.createGatewayDump(input)': 'What to do with secret values (OMIT by default)',
  'Mutation.createSchedule': 'Creates a backup schedule',
  'Mutation.createSchedule(input)': 'The schedule',
  'Mutation.createWebhook': 'Creates a webhook; events are POSTed to its URL, signed with its secret',
  'Mutation.createWebhook(input)': 'The webhook',
  'Mutation.deleteBackup(id)': ID_OF('backup'),
  'Mutation.deleteSchedule': 'Deletes a schedule; its backups stay',
  'Mutation.deleteSchedule(id)': ID_OF('schedule'),
  'Mutation.deleteWebhook': 'Deletes a webhook and its delivery log',
  'Mutation.deleteWebhook(id)': ID_OF('webhook'),
  'Mutation.importBackup(input)': 'The file and the plugin that reads it',
  'Mutation.pauseSchedule': 'Pauses or resumes a schedule',
  'Mutation.pauseSchedule(id)': ID_OF('schedule'),
  'Mutation.pauseSchedule(paused)': 'true pauses, false resumes',
  'Mutation.pinBackup': 'Pins a backup so retention never deletes it (or unpins it)',
  'Mutation.pinBackup(id)': ID_OF('backup'),
  'Mutation.pinBackup(pinned)': 'true pins, false unpins',
  'Mutation.reconcileStorage(deleteOrphans)': 'Also delete the orphans found (otherwise only listed)',
  'Mutation.reconcileStorage(storageId)': ID_OF('storage location'),
  'Mutation.registerEngine': 'Registers an engine connection; its config is checked against the plugin, secrets are sealed',
  'Mutation.registerEngine(input)': 'Name, plugin and config of the engine',
  'Mutation.registerStorage(input)': 'The location',
  'Mutation.removeEngine': 'Removes an engine connection; its backups stay in the catalog',
  'Mutation.removeEngine(id)': ID_OF('engine'),
  'Mutation.removeStorage': 'Removes a registered storage location that holds no live backup',
  'Mutation.removeStorage(id)': ID_OF('storage location'),
  'Mutation.revokeApiKey': 'Revokes an API key: it stops working at once',
  'Mutation.revokeApiKey(id)': ID_OF('API key'),
  'Mutation.setRetention': "Sets (or, without policy, clears) the retention policy of the engine's unscheduled backups",
  'Mutation.setRetention(engineId)': ID_OF('engine'),
  'Mutation.setRetention(policy)': 'The policy; omit to clear it',
  'Mutation.startBackup': 'Starts a backup job; refused with job_already_in_progress while the engine runs a backup or restore',
  'Mutation.startBackup(input)': 'What to back up',
  'Mutation.startRestore': 'Starts a restore job from a COMPLETE backup; follow it with jobUpdated',
  'Mutation.startRestore(input)': 'What to restore, where',
  'Mutation.syncEngineBackups(engineId)': ID_OF('engine'),
  'Mutation.updateEngine': "Changes an engine's name or config",
  'Mutation.updateEngine(id)': ID_OF('engine'),
  'Mutation.updateEngine(input)': 'The changes',
  'Mutation.updateSchedule': 'Changes a schedule',
  'Mutation.updateSchedule(id)': ID_OF('schedule'),
  'Mutation.updateSchedule(input)': 'The changes',
  'Mutation.updateStorage': 'Changes a registered storage location',
  'Mutation.updateStorage(id)': ID_OF('storage location'),
  'Mutation.updateStorage(input)': 'The changes',
  'Mutation.verifyBackup(id)': ID_OF('backup'),
  'Mutation.verifyBackup(restoreTest)': 'Also restore into scratch collections and compare counts',

  // Subscriptions
  'Subscription.jobEvents(engineId)': 'Only jobs on this engine',
  'Subscription.jobUpdated(id)': ID_OF('job'),

  // Arguments of other fields
  'Backup.artifacts(after)': 'The last path of the previous page',
  'Backup.artifacts(first)': 'Page size, 1–1000, default 100 (artifactCount tells how many there are)',
  'Backup.collections(after)': 'The last name of the previous page',
  'Backup.collections(first)': 'Page size, 1–1000, default 100 (collectionCount tells how many there are)',
  'Job.events(last)': 'How many of the newest events, 1–1000 (default 100)',
  'Schedule.nextRuns(count)': 'How many upcoming slots',
  'Webhook.deliveries(first)': 'How many, newest first',

  // Input fields
  'CreateApiKeyInput.name': 'A name to recognise the key by',
  'CreateApiKeyInput.scope': 'What the key may do',
  'CreateGatewayDumpInput.secrets': 'OMIT (default) or ENCRYPT secret values',
  'CreateScheduleInput.collections': 'Omit for every collection',
  'CreateScheduleInput.cron': 'When to run: a cron expression (5 fields, or 6 with seconds)',
  'CreateScheduleInput.engineId': 'The engine to back up',
  'CreateScheduleInput.name': 'A name; derived from the engine when omitted',
  'CreateScheduleInput.paused': 'Create it paused',
  'CreateScheduleInput.retention': 'Retention of the backups this schedule makes',
  'CreateScheduleInput.storageId': 'Where its backups go; the default location when omitted',
  'CreateScheduleInput.strategy': 'LOGICAL or NATIVE',
  'CreateScheduleInput.timezone': 'IANA time zone the cron expression is read in',
  'CreateScheduleInput.type': 'FULL or INCREMENTAL',
  'CreateWebhookInput.description': 'A note for people',
  'CreateWebhookInput.events': 'The events to send',
  'CreateWebhookInput.secret': 'HMAC key signing each delivery (X-Gateway-Signature); never returned',
  'CreateWebhookInput.url': 'http(s) URL the events are POSTed to',
  'ExternalLocationInput.credentials': 'S3 credentials, sealed with the job',
  'ExternalLocationInput.endpoint': 'S3 endpoint of a non-AWS service',
  'ExternalLocationInput.forcePathStyle': 'Path-style bucket addressing (MinIO and most non-AWS services)',
  'ExternalLocationInput.recipients': 'age recipients to encrypt the files to',
  'ExternalLocationInput.region': 'S3 region',
  'ExternalLocationInput.url': 's3://bucket/prefix',
  'ImportBackupInput.name': 'A name for the catalog entry; derived from the file when omitted',
  'ImportBackupInput.plugin': 'The plugin that reads the file, e.g. meilisearch',
  'RegisterEngineInput.config': "The plugin's config (see plugins { configSchema }); secret keys are sealed",
  'RegisterEngineInput.name': 'A unique name',
  'RegisterEngineInput.plugin': 'The plugin name, e.g. meilisearch',
  'RegisterStorageInput.credentials': 'S3 credentials; sealed, never returned',
  'RegisterStorageInput.endpoint': 'S3 endpoint of a non-AWS service',
  'RegisterStorageInput.forcePathStyle': 'Path-style bucket addressing (MinIO and most non-AWS services)',
  'RegisterStorageInput.isDefault': 'Make it the default location of new backups',
  'RegisterStorageInput.name': 'A unique name',
  'RegisterStorageInput.recipients': 'age recipients: backups written here are encrypted to them',
  'RegisterStorageInput.region': 'S3 region',
  'RegisterStorageInput.url': 'file:///dedicated/folder or s3://bucket/prefix',
  'RenameInput.from': 'The collection name in the backup',
  'RenameInput.to': 'The name to restore it as',
  'RetentionPolicyInput.keepDaily': 'Keep the newest backup of each of the N most recent days with backups',
  'RetentionPolicyInput.keepLast': 'Keep the N newest backups',
  'RetentionPolicyInput.keepMonthly': 'Keep the newest backup of each of the N most recent months with backups',
  'RetentionPolicyInput.keepWeekly': 'Keep the newest backup of each of the N most recent ISO weeks with backups',
  'RetentionPolicyInput.keepYearly': 'Keep the newest backup of each of the N most recent years with backups',
  'RetentionPolicyInput.maxAgeDays': 'Delete backups older than this even when a rule keeps them',
  'StartBackupInput.engineId': 'The engine to back up',
  'StartBackupInput.labels': 'Free-form JSON kept with the backup',
  'StartBackupInput.name': 'A name for the backup; derived from the engine and time when omitted',
  'StartBackupInput.strategy': 'LOGICAL (default) or NATIVE',
  'StartBackupInput.type': 'FULL (default) or INCREMENTAL',
  'StartRestoreInput.backupId': 'The backup to restore',
  'StartRestoreInput.rename': 'Restore collections under other names',
  'StartRestoreInput.timeoutSeconds': 'Job timeout; the gateway default when omitted',
  'StorageCredentialsInput.accessKeyId': 'S3 access key id',
  'StorageCredentialsInput.secretAccessKey': 'S3 secret access key',
  'StorageCredentialsInput.sessionToken': 'S3 session token (temporary credentials)',
  'UpdateEngineInput.name': 'A new unique name',
  'UpdateScheduleInput.collections': 'The collections to back up (empty for every one)',
  'UpdateScheduleInput.cron': 'A new cron expression',
  'UpdateScheduleInput.name': 'A new name',
  'UpdateScheduleInput.retention': 'A new retention policy',
  'UpdateScheduleInput.storageId': 'A new storage location',
  'UpdateScheduleInput.strategy': 'LOGICAL or NATIVE',
  'UpdateScheduleInput.timezone': 'A new IANA time zone',
  'UpdateScheduleInput.type': 'FULL or INCREMENTAL',
  'UpdateStorageInput.credentials': 'New S3 credentials; sealed, never returned',
  'UpdateStorageInput.isDefault': 'Make it the default location of new backups',
  'UpdateStorageInput.name': 'A new unique name',
};

interface Describable {
  description?: string | null | undefined;
}

/** Gives every type, field and argument named in the table its description, unless the code already gave one. */
export function describeSchema(schema: GraphQLSchema, table: Record<string, string> = API_DESCRIPTIONS): GraphQLSchema {
  const targets = new Map<string, Describable>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    targets.set(type.name, type);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        targets.set(`${type.name}.${field.name}`, field);
        for (const arg of field.args) targets.set(`${type.name}.${field.name}(${arg.name})`, arg);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) targets.set(`${type.name}.${field.name}`, field);
    }
  }
  const unknown = Object.keys(table).filter((key) => !targets.has(key));
  if (unknown.length > 0) throw new Error(`API descriptions for what the schema does not have: ${unknown.join(', ')}`);
  for (const [key, text] of Object.entries(table)) {
    const target = targets.get(key)!;
    if (!target.description) target.description = text;
  }
  return schema;
}
