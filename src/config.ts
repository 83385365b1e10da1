// Gateway settings from the environment, validated once at start.
import path from 'node:path';
import { z } from 'zod';
import { GatewayError } from './errors.ts';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
  GATEWAY_MASTER_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  GATEWAY_SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  GATEWAY_JOB_TIMEOUT_MS: z.coerce.number().int().positive().default(6 * 60 * 60 * 1000),
  GATEWAY_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  GATEWAY_LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  GATEWAY_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  GATEWAY_IMPORT_DIR: z.string().min(1).optional(),
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
  };
}
