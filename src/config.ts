// Gateway settings from the environment, validated once at start.
import path from 'node:path';
import { z } from 'zod';
import { pluginPackageList } from './engines/external-plugins.ts';
import { GatewayError } from './errors.ts';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** GATEWAY_CORS_ORIGINS: comma-separated origins (scheme://host[:port]) a browser page may call the API from. */
const originList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s,]+$/, 'must be origins like https://ops.example.com (scheme://host[:port], no path)')));

/** GATEWAY_ALLOWED_HOSTS: comma-separated Host header names (no port) accepted besides loopback ones. */
const hostList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[a-z0-9.:[\]-]+$/, 'must be host names like gateway.internal (no scheme, no port)')));

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  GATEWAY_MASTER_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  GATEWAY_SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  GATEWAY_JOB_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(6 * 60 * 60 * 1000),
  GATEWAY_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  GATEWAY_LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  GATEWAY_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  GATEWAY_IMPORT_DIR: z.string().min(1).optional(),
  GATEWAY_AGE_IDENTITY_FILE: z.string().min(1).optional(),
  GATEWAY_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).default(5000),
  GATEWAY_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(8),
  GATEWAY_PLUGINS: pluginPackageList,
  GATEWAY_DUMPS_DIR: z.string().min(1).default('./dumps'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  GATEWAY_REDIS_CHANNEL: z.string().min(1).max(200).optional(),
  GATEWAY_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  GATEWAY_CORS_ORIGINS: originList,
  GATEWAY_ALLOWED_HOSTS: hostList,
  GATEWAY_WS_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  GATEWAY_EMBEDDED_SHARED_BUFFERS: z
    .string()
    .regex(/^\d{1,6}(kB|MB|GB)$/, 'must be a PostgreSQL memory size such as 16MB')
    .optional(),
  GATEWAY_JOB_LIST_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  GATEWAY_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
  GATEWAY_MIN_SCHEDULE_INTERVAL: z
    .string()
    .regex(/^\d+(ms|s|m|h)?$/, 'must be a duration: seconds, or a number with ms, s, m or h (e.g. 5m)')
    .default('5m'),
  GATEWAY_MAX_DOCUMENT_LINE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(16 * 1024 * 1024),
  GATEWAY_GZIP_LEVEL: z.coerce.number().int().min(0).max(9).default(1),
  GATEWAY_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface GatewayConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  masterKey: string | undefined;
  secretKey: string | undefined;
  jobTimeoutMs: number;
  jobConcurrency: number;
  leaseMs: number;
  logLevel: LogLevel;
  /** importBackup reads files only inside this directory; unset = importing is off. */
  importDir: string | undefined;
  /** age identities (AGE-SECRET-KEY-1…, one per line) that decrypt encrypted backups for restore and verify. */
  ageIdentityFile: string | undefined;
  /** Webhook retries: attempt n waits base × 2^(n-1); a delivery gives up after maxAttempts. */
  webhookRetryBaseMs: number;
  webhookMaxAttempts: number;
  /** npm packages with engine plugins, loaded next to the built-in ones (GATEWAY_PLUGINS). */
  pluginPackages: string[];
  /** createGatewayDump writes the gateway's own state here (created when missing). */
  dumpsDir: string;
  /** Job changes go through Redis (graphql-yoga's Redis event target) so subscribers on any replica see every job. */
  redisUrl: string | undefined;
  /** Redis channel of job changes; deployments sharing one Redis need different ones. */
  redisChannel: string | undefined;
  /** On SIGTERM, running jobs get this long to finish before they are ended `interrupted`. */
  shutdownGraceMs: number;
  /** Browser origins allowed by CORS and for WebSocket upgrades (besides the gateway's own); empty = CORS off. */
  corsOrigins: string[];
  /** Host headers accepted besides loopback names; in open mode nothing else is (DNS rebinding). Empty with a master key = any. */
  allowedHosts: string[];
  /** A WebSocket must send an authenticated connection_init within this time, or it is closed. */
  wsInitTimeoutMs: number;
  /** shared_buffers of the embedded database (PGlite); unset: src/db/pglite-settings.ts' default (16MB). */
  embeddedSharedBuffers: string | undefined;
  /** Job query answers are kept at most this long (dropped at once by a job change or a mutation); 0: off. */
  jobListCacheMs: number;
  /** Failed authentications per remote address per minute before that address is answered `rate_limited`. */
  authFailuresPerMinute: number;
  /** A schedule's cron may not fire more often than this (GATEWAY_MIN_SCHEDULE_INTERVAL). */
  minScheduleIntervalMs: number;
  /** Longest line (one document, one gateway dump row) read from a dump; longer ones are `invalid_backup_file`. */
  maxDocumentLineBytes: number;
  /** gzip level of logical backups' document files (GATEWAY_GZIP_LEVEL, 0-9; default 1, see archive-writer.ts). */
  gzipLevel: number;
  /** Bearer token for /metrics besides API keys, for scrapers that should hold no API key. */
  metricsToken: string | undefined;
  /** OpenTelemetry traces go to this OTLP/HTTP collector; unset = tracing off (nothing loaded). */
  otlpEndpoint: string | undefined;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = EnvSchema.safeParse(blankless);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new GatewayError('invalid_configuration', `Invalid environment: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.GATEWAY_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    masterKey: e.GATEWAY_MASTER_KEY,
    secretKey: e.GATEWAY_SECRET_KEY,
    jobTimeoutMs: e.GATEWAY_JOB_TIMEOUT_MS,
    jobConcurrency: e.GATEWAY_JOB_CONCURRENCY,
    leaseMs: e.GATEWAY_LEASE_MS,
    logLevel: e.GATEWAY_LOG_LEVEL,
    importDir: e.GATEWAY_IMPORT_DIR ? path.resolve(e.GATEWAY_IMPORT_DIR) : undefined,
    ageIdentityFile: e.GATEWAY_AGE_IDENTITY_FILE ? path.resolve(e.GATEWAY_AGE_IDENTITY_FILE) : undefined,
    webhookRetryBaseMs: e.GATEWAY_WEBHOOK_RETRY_BASE_MS,
    webhookMaxAttempts: e.GATEWAY_WEBHOOK_MAX_ATTEMPTS,
    pluginPackages: e.GATEWAY_PLUGINS,
    dumpsDir: path.resolve(e.GATEWAY_DUMPS_DIR),
    redisUrl: e.REDIS_URL,
    redisChannel: e.GATEWAY_REDIS_CHANNEL,
    shutdownGraceMs: e.GATEWAY_SHUTDOWN_GRACE_MS,
    corsOrigins: e.GATEWAY_CORS_ORIGINS,
    allowedHosts: e.GATEWAY_ALLOWED_HOSTS,
    wsInitTimeoutMs: e.GATEWAY_WS_INIT_TIMEOUT_MS,
    jobListCacheMs: e.GATEWAY_JOB_LIST_CACHE_MS,
    embeddedSharedBuffers: e.GATEWAY_EMBEDDED_SHARED_BUFFERS,
    authFailuresPerMinute: e.GATEWAY_AUTH_FAILURES_PER_MINUTE,
    minScheduleIntervalMs: durationMs(e.GATEWAY_MIN_SCHEDULE_INTERVAL),
    maxDocumentLineBytes: e.GATEWAY_MAX_DOCUMENT_LINE_BYTES,
    gzipLevel: e.GATEWAY_GZIP_LEVEL,
    metricsToken: e.GATEWAY_METRICS_TOKEN,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `300`, `300s`, `5m`, `1h`, `1500ms` → milliseconds (a bare number is seconds). */
function durationMs(value: string): number {
  const [, amount, unit] = /^(\d+)(ms|s|m|h)?$/.exec(value)!;
  return Number(amount) * UNIT_MS[(unit ?? 's') as keyof typeof UNIT_MS];
}
