// Storage locations: the built-in local folder, registered ones (local folders, S3 buckets) with sealed credentials
// and optional age encryption, and per-job external locations. Hands out the driver each backup lives in.
import type { Backup, Job, PrismaClient, Storage } from '../db/client.ts';
import { GatewayError } from '../errors.ts';
import type { GatewayLogger, Redactor } from '../log.ts';
import type { SecretBox } from '../secret-box.ts';
import { validateRecipients } from '../storage/age.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { EncryptingStorage } from '../storage/encrypted.ts';
import { LocalFsStorage } from '../storage/local-fs.ts';
import type { S3Credentials, S3Storage } from '../storage/s3.ts';
import type { AuditLog } from './audit.ts';
import { isUuid } from './engines.ts';
import { assertDedicatedFolder, type ProtectedFolders } from './local-location.ts';
import { validateName } from './names.ts';
import {
  credentialsSchema,
  externalLocationSchema,
  publicLocationSchema,
  parseCredentials,
  parseLocation,
  type ExternalLocation,
  type ParsedLocation,
  type PublicLocation,
  type StorageCredentialsInput,
  type StorageLocationInput,
} from './storage-location.ts';

/** The id under which the built-in local storage (`$GATEWAY_DATA_DIR/backups`) is addressed. */
export const BUILTIN_STORAGE_ID = 'local';

export interface RegisterStorageInput extends StorageLocationInput {
  name: string;
  isDefault?: boolean | null;
}

export interface UpdateStorageInput {
  name?: string | null;
  credentials?: StorageCredentialsInput | null;
  recipients?: string[] | null;
  isDefault?: boolean | null;
}

/** How the API shows a location: never credentials. */
export interface StorageView {
  id: string;
  name: string;
  kind: 'LOCAL' | 'S3';
  url: string;
  endpoint: string | null;
  region: string | null;
  forcePathStyle: boolean | null;
  recipients: string[];
  isDefault: boolean;
  builtIn: boolean;
  hasCredentials: boolean;
  createdAt: Date | null;
}

export interface StorageServiceDeps {
  prisma: PrismaClient;
  secretBox: SecretBox;
  redactor: Redactor;
  logger: GatewayLogger;
  audit: AuditLog;
  /** The built-in local storage, `$GATEWAY_DATA_DIR/backups`. */
  builtIn: LocalFsStorage;
  /** age identities that decrypt encrypted backups (GATEWAY_AGE_IDENTITY_FILE); empty = none. */
  identities: readonly string[];
  /** Folders a local location may not be, contain or sit in (the data directory, dumps, imports). */
  protectedFolders: ProtectedFolders;
}

export class StorageService {
  readonly #drivers = new Map<string, { updatedAt: number; driver: EncryptingStorage; closer: (() => void) | null }>();
  readonly #builtIn: EncryptingStorage;

  constructor(private readonly deps: StorageServiceDeps) {
    this.#builtIn = new EncryptingStorage(deps.builtIn, { recipients: [], identities: deps.identities });
  }

  /** The built-in location first, then registered ones by creation. */
  async list(): Promise<StorageView[]> {
    const rows = await this.deps.prisma.storage.findMany({ orderBy: { createdAt: 'asc' } });
    return [this.#builtInView(rows.some((row) => row.isDefault)), ...rows.map((row) => this.view(row))];
  }

  async find(id: string): Promise<StorageView | null> {
    if (id === BUILTIN_STORAGE_ID) return this.#builtInView((await this.deps.prisma.storage.count({ where: { isDefault: true } })) > 0);
    const row = isUuid(id) ? await this.deps.prisma.storage.findUnique({ where: { id } }) : null;
    return row ? this.view(row) : null;
  }

  async get(id: string): Promise<StorageView> {
    const found = await this.find(id);
    if (!found) throw new GatewayError('storage_not_found', `No storage location with id "${id.slice(0, 64)}"`);
    return found;
  }

  async register(input: RegisterStorageInput, actor: string): Promise<StorageView> {
    const name = validateName(input.name, 'storage name');
    const location = parseLocation(input, { allowLocal: true });
    const recipients = validateRecipients(input.recipients ?? []);
    const credentials = input.credentials ? parseCredentials(input.credentials) : null;
    if (location.kind === 'S3' && !credentials) throw new GatewayError('invalid_storage_config', 'an S3 location needs credentials { accessKeyId, secretAccessKey }');
    if (location.kind === 'LOCAL' && credentials) throw new GatewayError('invalid_storage_config', 'a local folder takes no credentials');
    if (await this.deps.prisma.storage.findUnique({ where: { name } })) throw new GatewayError('name_already_taken', `A storage location named "${name}" already exists`);
    if (location.kind === 'LOCAL') await this.#assertDedicated(location.path);
    this.#remember(credentials);
    // Prove the location works before anyone's backups depend on it.
    const probe = await this.#buildDriver(location, credentials);
    try {
      await probe.check();
    } finally {
      probe.close();
    }
    const row = await this.deps.prisma.$transaction(async (tx) => {
      if (input.isDefault) await tx.storage.updateMany({ where: { isDefault: true }, data: { isDefault: false } });
      return tx.storage.create({
        data: {
          name,
          kind: location.kind,
          url: location.url,
          config: { endpoint: location.endpoint, region: location.region, forcePathStyle: location.forcePathStyle },
          secrets: credentials ? this.deps.secretBox.seal(credentials) : null,
          recipients,
          isDefault: input.isDefault ?? false,
        },
      });
    });
    await this.deps.audit.record(actor, 'storage.register', 'storage', row.id, { name, kind: row.kind, url: row.url, encrypted: recipients.length > 0, isDefault: row.isDefault });
    return this.view(row);
  }

  /**
   * "Test connection" before saving: the checks and probe register runs (reach, write, read back), nothing
   * stored. A refusal comes back as its code and message, the credentials scrubbed from it.
   */
  async test(input: StorageLocationInput): Promise<{ ok: boolean; code: string | null; message: string | null }> {
    try {
      if (!/^s3:\/\//i.test(String(input.url)))
        throw new GatewayError('invalid_storage_config', 'Test connection tries s3:// locations; a local folder is checked when it is registered');
      const location = parseLocation(input, { allowLocal: false });
      const credentials = input.credentials ? parseCredentials(input.credentials) : null;
      if (!credentials) throw new GatewayError('invalid_storage_config', 'an S3 location needs credentials { accessKeyId, secretAccessKey }');
      this.#remember(credentials);
      const probe = await this.#buildDriver(location, credentials);
      try {
        await probe.check();
      } finally {
        probe.close();
      }
      return { ok: true, code: null, message: null };
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      return { ok: false, code: error.code, message: this.deps.redactor.redact(error.message) };
    }
  }

  /** Name, credentials, recipients (affect new files only) and the default mark; the URL of a location never changes. */
  async update(id: string, input: UpdateStorageInput, actor: string): Promise<StorageView> {
    if (id === BUILTIN_STORAGE_ID) {
      if (input.isDefault) {
        await this.deps.prisma.storage.updateMany({ where: { isDefault: true }, data: { isDefault: false } });
        await this.deps.audit.record(actor, 'storage.update', 'storage', BUILTIN_STORAGE_ID, { isDefault: true });
        return this.get(BUILTIN_STORAGE_ID);
      }
      throw new GatewayError('invalid_storage_config', 'the built-in local storage has nothing else to change; register a location to encrypt or move backups');
    }
    const row = await this.#row(id);
    const data: { name?: string; secrets?: string; recipients?: string[]; isDefault?: boolean } = {};
    if (input.name) data.name = validateName(input.name, 'storage name');
    if (data.name && data.name !== row.name && (await this.deps.prisma.storage.findUnique({ where: { name: data.name } }))) {
      throw new GatewayError('name_already_taken', `A storage location named "${data.name}" already exists`);
    }
    if (input.recipients) data.recipients = validateRecipients(input.recipients);
    if (input.credentials) {
      if (row.kind !== 'S3') throw new GatewayError('invalid_storage_config', 'a local folder takes no credentials');
      const credentials = parseCredentials(input.credentials);
      this.#remember(credentials);
      const probe = await this.#buildDriver(this.#location(row), credentials);
      try {
        await probe.check();
      } finally {
        probe.close();
      }
      data.secrets = this.deps.secretBox.seal(credentials);
    }
    if (input.isDefault !== undefined && input.isDefault !== null) data.isDefault = input.isDefault;
    const updated = await this.deps.prisma.$transaction(async (tx) => {
      if (data.isDefault) await tx.storage.updateMany({ where: { isDefault: true, id: { not: id } }, data: { isDefault: false } });
      return tx.storage.update({ where: { id }, data });
    });
    await this.deps.audit.record(actor, 'storage.update', 'storage', id, { fields: Object.keys(data) });
    return this.view(updated);
  }

  /** Refused while backups (not DELETED) or schedules use the location. */
  async remove(id: string, actor: string): Promise<boolean> {
    if (id === BUILTIN_STORAGE_ID) throw new GatewayError('storage_in_use', 'the built-in local storage cannot be removed');
    const row = await this.#row(id);
    const backups = await this.deps.prisma.backup.count({ where: { storageId: id, status: { not: 'DELETED' } } });
    if (backups > 0) throw new GatewayError('storage_in_use', `Storage "${row.name}" holds ${backups} backup(s); delete them first`);
    const schedules = await this.deps.prisma.schedule.count({ where: { storageId: id } });
    if (schedules > 0) throw new GatewayError('storage_in_use', `${schedules} schedule(s) write to storage "${row.name}"; change or delete them first`);
    await this.deps.prisma.storage.delete({ where: { id } });
    this.#forget(id);
    await this.deps.audit.record(actor, 'storage.remove', 'storage', id, { name: row.name });
    return true;
  }

  /** Where a new backup goes: the named location, else the default one, else the built-in local storage. */
  async target(storageId?: string | null): Promise<{ storageId: string | null; driver: StorageDriver }> {
    if (storageId === BUILTIN_STORAGE_ID) return { storageId: null, driver: this.#builtIn };
    const row = storageId ? await this.#row(storageId) : await this.deps.prisma.storage.findFirst({ where: { isDefault: true } });
    if (!row) return { storageId: null, driver: this.#builtIn };
    return { storageId: row.id, driver: await this.#driver(row) };
  }

  /** Validates a per-job external location (S3 only) and seals its credentials for the job's input. */
  external(input: StorageLocationInput): ExternalLocation {
    const location = parseLocation(input, { allowLocal: false });
    if (!input.credentials) throw new GatewayError('storage_credentials_required', 'an external location needs credentials { accessKeyId, secretAccessKey }');
    const credentials = parseCredentials(input.credentials);
    this.#remember(credentials);
    return {
      url: location.url,
      endpoint: location.endpoint,
      region: location.region,
      forcePathStyle: location.forcePathStyle,
      recipients: validateRecipients(input.recipients ?? []),
      sealedCredentials: this.deps.secretBox.seal(credentials),
    };
  }

  /** Credentials given for one job on a backup in an external location, sealed for the job's input. */
  sealCredentials(input: StorageCredentialsInput): string {
    const credentials = parseCredentials(input);
    this.#remember(credentials);
    return this.deps.secretBox.seal(credentials);
  }

  /** The driver for an external location; `sealedCredentials` come from the job that uses it. */
  async externalDriver(location: PublicLocation & { recipients?: string[] }, sealedCredentials: string | null): Promise<StorageDriver> {
    if (!sealedCredentials) {
      throw new GatewayError('storage_credentials_required', `The backup lives in the external location ${location.url}; pass its credentials with the request`);
    }
    const credentials = credentialsSchema.parse(this.deps.secretBox.open(sealedCredentials));
    this.#remember(credentials);
    const parsed = parseLocation(location, { allowLocal: false });
    const built = await this.#buildDriver(parsed, credentials);
    return new EncryptingStorage(built.driver, { recipients: location.recipients ?? [], identities: this.deps.identities });
  }

  /** The driver a backup's files live in. External-location backups need the job's sealed credentials. */
  async forBackup(backup: Pick<Backup, 'id' | 'storageId' | 'externalLocation'>, sealedCredentials: string | null = null): Promise<StorageDriver> {
    if (backup.externalLocation) return this.externalDriver(publicLocationSchema.parse(backup.externalLocation), sealedCredentials);
    if (!backup.storageId) return this.#builtIn;
    const row = await this.deps.prisma.storage.findUnique({ where: { id: backup.storageId } });
    if (!row) throw new GatewayError('storage_not_found', `The storage location of backup ${backup.id} was removed`);
    return this.#driver(row);
  }

  /** The driver of a job's backup: a backup job writing to an external location carries it in its input. */
  async forJob(job: Pick<Job, 'backupId' | 'input'>): Promise<StorageDriver> {
    if (!job.backupId) return this.#builtIn;
    const input = (job.input ?? {}) as { externalLocation?: unknown; storageCredentials?: unknown };
    const external = externalLocationSchema.safeParse(input.externalLocation);
    if (external.success) return this.externalDriver(external.data, external.data.sealedCredentials);
    const backup = await this.deps.prisma.backup.findUnique({ where: { id: job.backupId }, select: { id: true, storageId: true, externalLocation: true } });
    if (!backup) return this.#builtIn;
    return this.forBackup(backup, typeof input.storageCredentials === 'string' ? input.storageCredentials : null);
  }

  /** The driver of a location by id (`local` = built in), for reconciliation. */
  async byId(id: string): Promise<StorageDriver> {
    if (id === BUILTIN_STORAGE_ID) return this.#builtIn;
    return this.#driver(await this.#row(id));
  }

  /** Registers every stored credential with the log redactor (called at start). */
  async loadSecretsForRedaction(): Promise<void> {
    for (const row of await this.deps.prisma.storage.findMany({ where: { secrets: { not: null } } })) {
      this.#remember(credentialsSchema.parse(this.deps.secretBox.open(row.secrets!)));
    }
  }

  closeAll(): void {
    for (const id of [...this.#drivers.keys()]) this.#forget(id);
  }

  view(row: Storage): StorageView {
    const config = publicLocationSchema.partial().parse(row.config ?? {});
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      url: row.url,
      endpoint: config.endpoint ?? null,
      region: config.region ?? null,
      forcePathStyle: config.forcePathStyle ?? null,
      recipients: row.recipients,
      isDefault: row.isDefault,
      builtIn: false,
      hasCredentials: row.secrets !== null,
      createdAt: row.createdAt,
    };
  }

  #builtInView(anotherIsDefault: boolean): StorageView {
    return {
      id: BUILTIN_STORAGE_ID,
      name: 'local',
      kind: 'LOCAL',
      url: new URL(`file://${this.deps.builtIn.root}`).href,
      endpoint: null,
      region: null,
      forcePathStyle: null,
      recipients: [],
      isDefault: !anotherIsDefault,
      builtIn: true,
      hasCredentials: false,
      createdAt: null,
    };
  }

  /** A new local location must be a folder of its own, apart from the gateway's folders and every other location. */
  async #assertDedicated(folder: string): Promise<void> {
    const rows = await this.deps.prisma.storage.findMany({ where: { kind: 'LOCAL' } });
    const locations = rows.map((row) => this.#location(row)).flatMap((location) => (location.kind === 'LOCAL' ? [location.path] : []));
    await assertDedicatedFolder(folder, { ...this.deps.protectedFolders, locations: [this.deps.builtIn.root, ...locations] });
  }

  async #row(id: string): Promise<Storage> {
    const row = isUuid(id) ? await this.deps.prisma.storage.findUnique({ where: { id } }) : null;
    if (!row) throw new GatewayError('storage_not_found', `No storage location with id "${id.slice(0, 64)}"`);
    return row;
  }

  #location(row: Storage): ParsedLocation {
    return parseLocation({ ...publicLocationSchema.partial().parse(row.config ?? {}), url: row.url }, { allowLocal: true });
  }

  async #driver(row: Storage): Promise<EncryptingStorage> {
    const cached = this.#drivers.get(row.id);
    if (cached && cached.updatedAt === row.updatedAt.getTime()) return cached.driver;
    this.#forget(row.id);
    const credentials = row.secrets ? credentialsSchema.parse(this.deps.secretBox.open(row.secrets)) : null;
    const inner = await this.#buildDriver(this.#location(row), credentials);
    const driver = new EncryptingStorage(inner.driver, { recipients: row.recipients, identities: this.deps.identities });
    this.#drivers.set(row.id, { updatedAt: row.updatedAt.getTime(), driver, closer: inner.close });
    return driver;
  }

  async #buildDriver(location: ParsedLocation, credentials: S3Credentials | null): Promise<BuiltDriver> {
    if (location.kind === 'LOCAL') {
      const driver = new LocalFsStorage({ root: location.path });
      return {
        driver,
        close: () => undefined,
        async check() {
          try {
            // The marker is what later lets reconcile delete orphans here: the gateway made this folder.
            await driver.claimRoot();
          } catch (error) {
            throw new GatewayError('storage_unreachable', `cannot create ${location.path}: ${(error as Error).message}`);
          }
        },
      };
    }
    // The AWS SDK is loaded on first use only: it costs a gateway that never touches S3 ~0.5 s at start.
    const { S3Storage: S3 } = await import('../storage/s3.ts');
    const driver: S3Storage = new S3({ location: { ...location.s3, credentials: credentials ?? undefined } });
    return { driver, close: () => driver.close(), check: (signal?: AbortSignal) => driver.check(signal ?? AbortSignal.timeout(15_000)) };
  }

  #forget(id: string): void {
    this.#drivers.get(id)?.closer?.();
    this.#drivers.delete(id);
  }

  #remember(credentials: S3Credentials | null): void {
    if (credentials) {
      this.deps.redactor.add(credentials.secretAccessKey);
      if (credentials.sessionToken) this.deps.redactor.add(credentials.sessionToken);
    }
  }
}

interface BuiltDriver {
  driver: StorageDriver;
  close(): void;
  check(signal?: AbortSignal): Promise<void>;
}
