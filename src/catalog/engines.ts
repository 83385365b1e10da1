// Registered engines: validated config, secrets sealed at rest, one live plugin instance per engine.
import type { Engine, PrismaClient } from '../db/client.ts';
import type { EngineHealth, EngineInstance, EnginePlugin } from '../engines/contract.ts';
import { parsePluginConfig, REDACTED_SECRET, redactedConfig, splitSecrets } from '../engines/plugin-config.ts';
import { engineSecretValues, scrubbingInstance } from '../engines/secret-scrub.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import { ACTIVE_STATUSES } from '../db/job-status.ts';
import type { GatewayLogger, Redactor } from '../log.ts';
import type { SecretBox } from '../secret-box.ts';
import type { AuditLog } from './audit.ts';
import { validateName } from './names.ts';

export interface EngineServiceDeps {
  prisma: PrismaClient;
  plugins: readonly EnginePlugin[];
  secretBox: SecretBox;
  redactor: Redactor;
  logger: GatewayLogger;
  audit: AuditLog;
}

export class EngineService {
  private readonly instances = new Map<string, { updatedAt: number; instance: EngineInstance }>();

  constructor(private readonly deps: EngineServiceDeps) {}

  plugin(name: string): EnginePlugin {
    const plugin = this.deps.plugins.find((candidate) => candidate.name === name);
    if (!plugin) {
      const known = this.deps.plugins.map((p) => p.name).join(', ');
      throw new GatewayError('plugin_not_found', `No plugin named "${name.slice(0, 64)}"; installed plugins: ${known}`);
    }
    return plugin;
  }

  list(): Promise<Engine[]> {
    return this.deps.prisma.engine.findMany({ orderBy: { createdAt: 'asc' } });
  }

  find(id: string): Promise<Engine | null> {
    return isUuid(id) ? this.deps.prisma.engine.findUnique({ where: { id } }) : Promise.resolve(null);
  }

  async get(id: string): Promise<Engine> {
    const engine = await this.find(id);
    if (!engine) throw new GatewayError('engine_not_found', `No engine with id "${id.slice(0, 64)}"`);
    return engine;
  }

  async register(input: { name: string; plugin: string; config: unknown }, actor: string): Promise<Engine> {
    const name = validateName(input.name, 'engine name');
    const plugin = this.plugin(input.plugin);
    const config = parsePluginConfig(plugin, input.config);
    const { publicConfig, secrets } = splitSecrets(plugin, config);
    await this.assertNameFree(name);
    const engine = await this.deps.prisma.engine.create({
      data: { name, plugin: plugin.name, config: publicConfig as object, secrets: this.sealOrNull(secrets) },
    });
    this.rememberSecrets(config, plugin);
    await this.deps.audit.record(actor, 'engine.register', 'engine', engine.id, { name, plugin: plugin.name });
    return engine;
  }

  async update(id: string, input: { name?: string | null; config?: unknown }, actor: string): Promise<Engine> {
    const engine = await this.get(id);
    const plugin = this.plugin(engine.plugin);
    const data: { name?: string; config?: object; secrets?: string | null } = {};
    if (input.name !== undefined && input.name !== null) {
      data.name = validateName(input.name, 'engine name');
      if (data.name !== engine.name) await this.assertNameFree(data.name);
    }
    if (input.config !== undefined && input.config !== null) {
      const config = parsePluginConfig(plugin, input.config);
      const { publicConfig, secrets } = splitSecrets(plugin, config);
      data.config = publicConfig;
      data.secrets = this.sealOrNull(secrets);
      this.rememberSecrets(config, plugin);
    }
    const updated = await this.deps.prisma.engine.update({ where: { id }, data });
    await this.instances.get(id)?.instance.close?.();
    this.instances.delete(id);
    await this.deps.audit.record(actor, 'engine.update', 'engine', id, { fields: Object.keys(data) });
    return updated;
  }

  async remove(id: string, actor: string): Promise<boolean> {
    const engine = await this.get(id);
    const active = await this.deps.prisma.job.count({ where: { engineId: id, status: { in: ACTIVE_STATUSES } } });
    if (active > 0) throw new GatewayError('job_already_in_progress', `Engine "${engine.name}" has ${active} active job(s); cancel them first`);
    await this.deps.prisma.engine.delete({ where: { id } });
    await this.instances.get(id)?.instance.close?.();
    this.instances.delete(id);
    await this.deps.audit.record(actor, 'engine.remove', 'engine', id, { name: engine.name });
    return true;
  }

  /** The config as the API shows it: secrets replaced by a marker. */
  publicConfig(engine: Engine): Record<string, unknown> {
    const secrets = engine.secrets ? (this.deps.secretBox.open(engine.secrets) as Record<string, unknown>) : {};
    return redactedConfig(engine.config as Record<string, unknown>, secrets);
  }

  /** The config the plugin gets, secrets included (and registered for redaction): for the plugin, never for output. */
  privateConfig(engine: Engine): Record<string, unknown> {
    const plugin = this.plugin(engine.plugin);
    const secrets = engine.secrets ? (this.deps.secretBox.open(engine.secrets) as Record<string, unknown>) : {};
    const config = parsePluginConfig(plugin, { ...(engine.config as Record<string, unknown>), ...secrets });
    this.rememberSecrets(config, plugin);
    return config;
  }

  /** The live plugin instance, rebuilt whenever the engine row changes. */
  instance(engine: Engine): EngineInstance {
    const cached = this.instances.get(engine.id);
    if (cached && cached.updatedAt === engine.updatedAt.getTime()) return cached.instance;
    const plugin = this.plugin(engine.plugin);
    const config = this.privateConfig(engine);
    // Every error, health message and warning leaving the plugin is scrubbed of this engine's secrets.
    const instance = scrubbingInstance(
      plugin.create(config, { logger: this.deps.logger.child({ plugin: plugin.name, engineId: engine.id, engine: engine.name }) }),
      engineSecretValues(config, plugin.secretKeys),
    );
    this.instances.set(engine.id, { updatedAt: engine.updatedAt.getTime(), instance });
    return instance;
  }

  /**
   * A config from a form that never saw the stored secrets (they are write-only): each secret key left out, empty
   * or still the redaction marker takes the engine's stored value. Other keys are taken as given.
   */
  async withStoredSecrets(id: string, config: Record<string, unknown>): Promise<Record<string, unknown>> {
    const engine = await this.get(id);
    const stored = engine.secrets ? (this.deps.secretBox.open(engine.secrets) as Record<string, unknown>) : {};
    const merged = { ...config };
    for (const [key, value] of Object.entries(stored)) {
      const given = merged[key];
      if (given === undefined || given === null || given === '' || given === REDACTED_SECRET) merged[key] = value;
    }
    return merged;
  }

  /**
   * Tries a config without registering it: the "Test connection" of the engine form. Health alone is not enough
   * (Meilisearch answers /health without a key), so the collections are listed too, which needs the credentials.
   */
  async testConnection(pluginName: string, rawConfig: unknown, signal: AbortSignal): Promise<EngineHealth> {
    const plugin = this.plugin(pluginName);
    const config = parsePluginConfig(plugin, rawConfig);
    this.rememberSecrets(config, plugin);
    const instance = scrubbingInstance(
      plugin.create(config, { logger: this.deps.logger.child({ plugin: plugin.name, engine: '(connection test)' }) }),
      engineSecretValues(config, plugin.secretKeys),
    );
    try {
      const health = await instance.health(signal);
      if (!health.ok) return health;
      await instance.listCollections(signal);
      return health;
    } catch (error) {
      return { ok: false, version: null, message: toGatewayError(error, 'engine_unreachable').message };
    } finally {
      await instance.close?.();
    }
  }

  /** Registers every stored secret with the log redactor (called at start). */
  async loadSecretsForRedaction(): Promise<void> {
    for (const engine of await this.list()) {
      const secrets = engine.secrets ? (this.deps.secretBox.open(engine.secrets) as Record<string, unknown>) : {};
      this.rememberSecrets(
        { ...(engine.config as Record<string, unknown>), ...secrets },
        this.deps.plugins.find((p) => p.name === engine.plugin),
      );
    }
  }

  async closeAll(): Promise<void> {
    for (const { instance } of this.instances.values()) await instance.close?.();
    this.instances.clear();
  }

  private async assertNameFree(name: string): Promise<void> {
    const taken = await this.deps.prisma.engine.findUnique({ where: { name } });
    if (taken) throw new GatewayError('name_already_taken', `An engine named "${name}" already exists`);
  }

  private sealOrNull(secrets: Record<string, unknown>): string | null {
    return Object.keys(secrets).length > 0 ? this.deps.secretBox.seal(secrets) : null;
  }

  /** Registers a config's secret values (secret keys, nested ones like modelApiKeys, URL passwords) with the redactor. */
  private rememberSecrets(config: Record<string, unknown>, plugin?: EnginePlugin): void {
    const secretKeys = plugin?.secretKeys ?? this.deps.plugins.flatMap((p) => p.secretKeys);
    for (const value of engineSecretValues(config, secretKeys)) this.deps.redactor.add(value);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else is unknown without asking the database (which would reject the cast). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
