// The operator endpoints beside /graphql: /livez (the process answers), /readyz (it can do its work: database
// reachable, migrations applied, not draining) and /metrics (Prometheus text, behind a key or the metrics token).
// /health stays as it was (yoga.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Gateway } from '../gateway.ts';
import { readMigrations } from '../db/migrate.ts';
import { toGatewayError } from '../errors.ts';

const NO_STORE = { 'cache-control': 'no-store' };
const PROBE_TIMEOUT_MS = 5000;

let expectedMigrations: Promise<string[]> | undefined;

function sameSecret(a: string, b: string): boolean {
  // Hashes first: equal lengths for timingSafeEqual, and no early exit on length.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Why the gateway cannot take work now, or null when it can. */
export async function notReadyReason(gateway: Gateway): Promise<string | null> {
  if (gateway.runner.isDraining) return 'shutting down';
  try {
    const check = (async () => {
      const rows = await gateway.prisma.$queryRawUnsafe<Array<{ migration_name: string }>>(
        'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      );
      expectedMigrations ??= readMigrations().then((migrations) => migrations.map((m) => m.name));
      const applied = new Set(rows.map((row) => row.migration_name));
      const pending = (await expectedMigrations).filter((name) => !applied.has(name));
      return pending.length > 0 ? `migrations not applied: ${pending.join(', ')}` : null;
    })();
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('database did not answer in time'), PROBE_TIMEOUT_MS).unref());
    return await Promise.race([check, timeout]);
  } catch (error) {
    return `database unreachable: ${gateway.redactor.redact(toGatewayError(error).message).slice(0, 200)}`;
  }
}

/** The answer to /livez, /readyz or /metrics; null for any other path. */
export async function observabilityResponse(gateway: Gateway, request: Request, url: URL, ResponseImpl: typeof Response): Promise<Response | null> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return null;
  switch (url.pathname) {
    case '/livez':
      return ResponseImpl.json({ status: 'alive' }, { headers: NO_STORE });
    case '/readyz': {
      const reason = await notReadyReason(gateway);
      return reason === null
        ? ResponseImpl.json({ status: 'ready' }, { headers: NO_STORE })
        : ResponseImpl.json({ status: 'not_ready', reason }, { status: 503, headers: NO_STORE });
    }
    case '/metrics': {
      const refused = await metricsAccess(gateway, request.headers.get('authorization'));
      if (refused)
        return ResponseImpl.json({ errors: [{ message: refused.message, extensions: { code: refused.code, type: 'auth' } }] }, { status: refused.status, headers: NO_STORE });
      const { body, contentType } = await gateway.metrics.scrape();
      return new ResponseImpl(request.method === 'HEAD' ? null : body, { headers: { ...NO_STORE, 'content-type': contentType } });
    }
    default:
      return null;
  }
}

/** GATEWAY_METRICS_TOKEN as a bearer token, or any valid API key (VIEWER and up); in open mode, anyone. */
async function metricsAccess(gateway: Gateway, authorization: string | null): Promise<{ status: number; code: string; message: string } | null> {
  const token = gateway.config.metricsToken;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (token && bearer && sameSecret(bearer, token)) return null;
  const auth = await gateway.apiKeys.authenticate(authorization);
  if (auth.ok) return null;
  const missing = auth.error.code === 'missing_authorization_header';
  return { status: missing ? 401 : 403, code: auth.error.code, message: auth.error.message };
}
