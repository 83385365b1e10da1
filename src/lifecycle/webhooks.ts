// Webhooks: job started / succeeded / failed / canceled and backup damaged, POSTed as JSON signed with
// `X-Gateway-Signature: sha256=<HMAC-SHA256 of the body with the webhook's secret>`. Deliveries are rows: one per
// webhook and occurrence (a unique key, so replicas that all see an event create it once), claimed with
// FOR UPDATE SKIP LOCKED, retried with exponential backoff, every attempt logged.
import { createHmac, randomUUID } from 'node:crypto';
import type { Backup, Job, PrismaClient, Webhook, WebhookAttempt, WebhookDelivery } from '../db/client.ts';
import type { AuditLog } from '../catalog/audit.ts';
import { isUuid } from '../catalog/engines.ts';
import { GatewayError } from '../errors.ts';
import type { JobBus } from '../jobs/job-bus.ts';
import { readProgress } from '../jobs/progress.ts';
import type { GatewayLogger, Redactor } from '../log.ts';
import type { SecretBox } from '../secret-box.ts';
import type { BackupDamage } from '../catalog/damage.ts';

export const WEBHOOK_EVENTS = ['JOB_STARTED', 'JOB_SUCCEEDED', 'JOB_FAILED', 'JOB_CANCELED', 'BACKUP_DAMAGED'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The `event` field of the body and the X-Gateway-Event header. */
export const EVENT_NAMES: Record<WebhookEvent, string> = {
  JOB_STARTED: 'job.started',
  JOB_SUCCEEDED: 'job.succeeded',
  JOB_FAILED: 'job.failed',
  JOB_CANCELED: 'job.canceled',
  BACKUP_DAMAGED: 'backup.damaged',
};

const STATUS_EVENTS: Partial<Record<Job['status'], WebhookEvent>> = {
  RUNNING: 'JOB_STARTED',
  SUCCEEDED: 'JOB_SUCCEEDED',
  FAILED: 'JOB_FAILED',
  CANCELED: 'JOB_CANCELED',
};

const LEASE_MS = 60_000;
const POLL_MS = 5_000;
const MAX_PARALLEL = 4;

export interface WebhookServiceDeps {
  prisma: PrismaClient;
  secretBox: SecretBox;
  redactor: Redactor;
  logger: GatewayLogger;
  audit: AuditLog;
  bus: JobBus;
  retryBaseMs: number;
  maxAttempts: number;
  /** One attempt's time limit; default 10 s. */
  timeoutMs?: number;
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function validateEvents(input: string[]): string[] {
  const events = [...new Set(input)];
  if (events.length === 0 || events.some((event) => !(WEBHOOK_EVENTS as readonly string[]).includes(event))) {
    throw new GatewayError('invalid_input', `events must be one or more of ${WEBHOOK_EVENTS.join(', ')}`);
  }
  return events;
}

function validateSecret(secret: unknown): void {
  if (typeof secret !== 'string' || secret.length < 16 || secret.length > 1024) {
    throw new GatewayError('invalid_input', 'secret must be 16–1024 characters; receivers check X-Gateway-Signature with it');
  }
}

export class WebhookService {
  readonly #seen = new Set<string>();
  #subscription: AsyncIterableIterator<Job> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pumping: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  readonly #inFlight = new Set<Promise<void>>();
  /** Aborts attempts in flight at shutdown; their lease runs out and a live replica (or the next start) sends them. */
  readonly #shutdown = new AbortController();

  constructor(private readonly deps: WebhookServiceDeps) {}

  // ---- configuration

  async create(input: { url: string; events: string[]; secret: string; description?: string | null }, actor: string): Promise<Webhook> {
    const url = validateUrl(input.url);
    const events = validateEvents(input.events);
    validateSecret(input.secret);
    this.deps.redactor.add(input.secret);
    const webhook = await this.deps.prisma.webhook.create({
      data: { url, events, secret: this.deps.secretBox.seal(input.secret), description: input.description?.slice(0, 1024) ?? null, createdBy: actor },
    });
    await this.deps.audit.record(actor, 'webhook.create', 'webhook', webhook.id, { url, events });
    return webhook;
  }

  /** Changes a webhook's URL, events, description or enabled flag (the secret only when given); omitted fields stay. */
  async update(
    id: string,
    input: { url?: string | null; events?: string[] | null; secret?: string | null; description?: string | null; enabled?: boolean | null },
    actor: string,
  ): Promise<Webhook> {
    await this.get(id);
    const data: { url?: string; events?: string[]; secret?: string; description?: string | null; enabled?: boolean } = {};
    if (input.url !== undefined && input.url !== null) data.url = validateUrl(input.url);
    if (input.events !== undefined && input.events !== null) data.events = validateEvents(input.events);
    if (input.secret !== undefined && input.secret !== null && input.secret !== '') {
      validateSecret(input.secret);
      this.deps.redactor.add(input.secret);
      data.secret = this.deps.secretBox.seal(input.secret);
    }
    if (input.description !== undefined) data.description = input.description ? input.description.slice(0, 1024) : null;
    if (input.enabled !== undefined && input.enabled !== null) data.enabled = input.enabled;
    const webhook = await this.deps.prisma.webhook.update({ where: { id }, data });
    await this.deps.audit.record(actor, 'webhook.update', 'webhook', id, { fields: Object.keys(data), url: webhook.url, events: webhook.events, enabled: webhook.enabled });
    return webhook;
  }

  list(): Promise<Webhook[]> {
    return this.deps.prisma.webhook.findMany({ orderBy: { createdAt: 'asc' } });
  }

  async get(id: string): Promise<Webhook> {
    const webhook = isUuid(id) ? await this.deps.prisma.webhook.findUnique({ where: { id } }) : null;
    if (!webhook) throw new GatewayError('webhook_not_found', `No webhook with id "${id.slice(0, 64)}"`);
    return webhook;
  }

  async delete(id: string, actor: string): Promise<boolean> {
    const webhook = await this.get(id);
    await this.deps.prisma.webhook.delete({ where: { id } });
    await this.deps.audit.record(actor, 'webhook.delete', 'webhook', id, { url: webhook.url });
    return true;
  }

  /**
   * "Send test": one delivery of a `webhook.test` event to this webhook only, through the same signed, retried
   * path as real events, so its delivery log shows whether the receiver answers. Returns the delivery's id.
   */
  async sendTest(id: string, actor: string): Promise<string> {
    const webhook = await this.get(id);
    const createdAt = new Date().toISOString();
    const delivery = await this.deps.prisma.webhookDelivery.create({
      data: {
        webhookId: webhook.id,
        event: 'webhook.test',
        eventKey: `test:${randomUUID()}`,
        payload: { event: 'webhook.test', createdAt, webhook: { id: webhook.id }, message: `A test event sent by ${actor}` },
      },
    });
    await this.deps.audit.record(actor, 'webhook.test', 'webhook', webhook.id, { url: webhook.url });
    this.wake();
    return delivery.id;
  }

  attemptsOf(deliveryId: string): Promise<WebhookAttempt[]> {
    return this.deps.prisma.webhookAttempt.findMany({ where: { deliveryId }, orderBy: { id: 'asc' } });
  }

  deliveries(filter: { webhookId?: string | null; first?: number | null }): Promise<WebhookDelivery[]> {
    const take = Math.min(Math.max(filter.first ?? 50, 1), 500);
    return this.deps.prisma.webhookDelivery.findMany({
      where: filter.webhookId ? { webhookId: filter.webhookId } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  // ---- events

  /** Follows the job bus (every replica does; the unique key keeps one delivery per event) and starts delivering. */
  start(): void {
    this.#stopped = false;
    const subscription = this.deps.bus.changes();
    this.#subscription = subscription;
    void (async () => {
      for await (const job of subscription) {
        await this.onJob(job).catch((error: unknown) => this.deps.logger.warn('webhook event not recorded', { jobId: job.id, error }));
      }
    })().catch((error: unknown) => this.deps.logger.error('webhook event feed ended; job events are no longer recorded', { error }));
    this.wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#shutdown.abort();
    await this.#subscription?.return?.();
    await this.#pumping;
    await Promise.allSettled([...this.#inFlight]);
  }

  async onJob(job: Job): Promise<void> {
    const event = STATUS_EVENTS[job.status];
    if (!event) return;
    const key = `job:${job.id}:${event}`;
    // Progress publishes repeat RUNNING many times a second; only the first one is news.
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    if (event !== 'JOB_STARTED') this.#seen.delete(`job:${job.id}:JOB_STARTED`);
    await this.#enqueue(event, key, await this.#jobPayload(job));
    if (event !== 'JOB_STARTED') this.#seen.delete(key);
  }

  async backupDamaged(backup: Backup, damage: BackupDamage): Promise<void> {
    await this.#enqueue('BACKUP_DAMAGED', `backup:${backup.id}:damaged:${damage.at}`, {
      backup: backupSummary(backup),
      damage: { ...damage },
    });
  }

  async #enqueue(event: WebhookEvent, eventKey: string, payload: Record<string, unknown>): Promise<void> {
    const webhooks = await this.deps.prisma.webhook.findMany({ where: { enabled: true, events: { has: event } }, select: { id: true } });
    if (webhooks.length === 0) return;
    const body = { event: EVENT_NAMES[event], createdAt: new Date().toISOString(), ...payload };
    await this.deps.prisma.webhookDelivery.createMany({
      data: webhooks.map((webhook) => ({ webhookId: webhook.id, event: EVENT_NAMES[event], eventKey, payload: JSON.parse(JSON.stringify(body)) })),
      skipDuplicates: true,
    });
    this.wake();
  }

  async #jobPayload(job: Job): Promise<Record<string, unknown>> {
    const [engine, backup] = await Promise.all([
      job.engineId ? this.deps.prisma.engine.findUnique({ where: { id: job.engineId }, select: { id: true, name: true, plugin: true } }) : null,
      job.backupId ? this.deps.prisma.backup.findUnique({ where: { id: job.backupId } }) : null,
    ]);
    return {
      job: {
        id: job.id,
        kind: job.kind,
        status: job.status,
        engineId: job.engineId,
        backupId: job.backupId,
        createdBy: job.createdBy,
        createdAt: iso(job.createdAt),
        startedAt: iso(job.startedAt),
        finishedAt: iso(job.finishedAt),
        progress: readProgress(job.progress),
        error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '', type: job.errorType ?? 'internal' } : null,
      },
      engine,
      backup: backup ? backupSummary(backup) : null,
    };
  }

  // ---- delivery

  /** Delivers what is due now, then sleeps until the next retry (or a short poll for other replicas' events). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#pumping = this.#pump()
      .catch((error: unknown) => this.deps.logger.error('webhook delivery loop failed', { error }))
      .finally(() => {
        this.#pumping = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        } else {
          void this.#scheduleNext();
        }
      });
  }

  async #pump(): Promise<void> {
    while (!this.#stopped) {
      if (this.#inFlight.size >= MAX_PARALLEL) {
        await Promise.race(this.#inFlight);
        continue;
      }
      const id = await this.#claim();
      if (!id) return;
      const attempt = this.#attempt(id).catch((error: unknown) => this.deps.logger.error('webhook attempt bookkeeping failed', { deliveryId: id, error }));
      this.#inFlight.add(attempt);
      void attempt.finally(() => {
        this.#inFlight.delete(attempt);
        // Its retry time (or nothing) is known now: plan the next wake-up from it.
        this.wake();
      });
    }
  }

  async #scheduleNext(): Promise<void> {
    if (this.#stopped) return;
    const next = await this.deps.prisma.webhookDelivery
      .findFirst({ where: { status: 'PENDING' }, orderBy: { nextAttemptAt: 'asc' }, select: { nextAttemptAt: true } })
      .catch(() => null);
    const wait = next ? Math.max(0, next.nextAttemptAt.getTime() - Date.now()) + 5 : POLL_MS;
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.wake(), Math.min(wait, POLL_MS));
    this.#timer.unref?.();
  }

  /** Takes one due delivery (or one whose sender died mid-attempt) with a lease. */
  async #claim(): Promise<string | null> {
    const rows = await this.deps.prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE "WebhookDelivery"
         SET "status" = 'SENDING'::"WebhookDeliveryStatus",
             "leaseExpiresAt" = now() + make_interval(secs => ${LEASE_MS / 1000})
       WHERE "id" = (
         SELECT "id" FROM "WebhookDelivery"
          WHERE ("status" = 'PENDING'::"WebhookDeliveryStatus" AND "nextAttemptAt" <= now())
             OR ("status" = 'SENDING'::"WebhookDeliveryStatus" AND "leaseExpiresAt" < now())
          ORDER BY "nextAttemptAt", "id"
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
       RETURNING "id"`;
    return rows[0]?.id ?? null;
  }

  async #attempt(id: string): Promise<void> {
    const delivery = await this.deps.prisma.webhookDelivery.findUnique({ where: { id }, include: { webhook: true } });
    if (!delivery) return;
    const body = JSON.stringify({ id: delivery.id, ...(delivery.payload as Record<string, unknown>) });
    const started = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const secret = String(this.deps.secretBox.open(delivery.webhook.secret));
      const response = await fetch(delivery.webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'backup-gateway-webhooks/1',
          'x-gateway-event': delivery.event,
          'x-gateway-delivery': delivery.id,
          'x-gateway-signature': signBody(secret, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.#shutdown.signal, AbortSignal.timeout(this.deps.timeoutMs ?? 10_000)]),
      });
      statusCode = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    }
    // Cut short by our own shutdown: not the receiver's failure, so not an attempt; the lease brings it back.
    if (this.#shutdown.signal.aborted) return;
    const durationMs = Date.now() - started;
    const attempts = delivery.attempts + 1;
    const delivered = error === null;
    const givingUp = !delivered && attempts >= this.deps.maxAttempts;
    await this.deps.prisma.$transaction([
      this.deps.prisma.webhookAttempt.create({ data: { deliveryId: id, statusCode, error, durationMs } }),
      this.deps.prisma.webhookDelivery.update({
        where: { id },
        data: {
          attempts,
          status: delivered ? 'DELIVERED' : givingUp ? 'FAILED' : 'PENDING',
          lastStatusCode: statusCode,
          lastError: error,
          leaseExpiresAt: null,
          ...(delivered ? { deliveredAt: new Date() } : {}),
          // Attempt n failed: wait base × 2^(n-1) before attempt n+1.
          ...(!delivered && !givingUp ? { nextAttemptAt: new Date(Date.now() + this.deps.retryBaseMs * 2 ** (attempts - 1)) } : {}),
        },
      }),
    ]);
    if (!delivered) this.deps.logger.warn('webhook delivery failed', { deliveryId: id, webhookId: delivery.webhookId, attempts, error, givingUp });
  }
}

function validateUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GatewayError('invalid_input', `url "${String(raw).slice(0, 80)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new GatewayError('invalid_input', 'a webhook url must be http:// or https://');
  return url.href;
}

function backupSummary(backup: Backup): Record<string, unknown> {
  return {
    id: backup.id,
    name: backup.name,
    status: backup.status,
    engineId: backup.engineId,
    strategy: backup.strategy,
    type: backup.type,
    location: backup.location,
    sizeBytes: backup.sizeBytes === null ? null : Number(backup.sizeBytes),
    documentCount: backup.documentCount === null ? null : Number(backup.documentCount),
    createdAt: iso(backup.createdAt),
    completedAt: iso(backup.completedAt),
  };
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : typeof value === 'string' ? value : value.toISOString();
}
