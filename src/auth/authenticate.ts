// Bearer-key authentication: the master key, stored API keys (hashed), or open mode without a master key.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKey, ApiKeyScope, PrismaClient } from '../db/client.ts';
import { GatewayError } from '../errors.ts';
import type { AuditLog } from '../catalog/audit.ts';
import { validateName } from '../catalog/names.ts';
import { isUuid } from '../catalog/engines.ts';
import type { Logger } from '../engines/contract.ts';
import { AuthFailureLimiter } from './failure-limit.ts';
import { RevocationWatch } from './revocation.ts';

export type Scope = ApiKeyScope;
const RANK: Record<Scope, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

export interface Principal {
  /** "master", "open" or "key:<id>" — what audit entries and jobs record. */
  actor: string;
  scope: Scope;
}

/** The outcome of reading a request's credentials: a principal, or the coded reason there is none. */
export type AuthResult = { ok: true; principal: Principal } | { ok: false; error: GatewayError };

export function hasScope(principal: Principal, needed: Scope): boolean {
  return RANK[principal.scope] >= RANK[needed];
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Where a request came from, for the failure log and the per-address limit (unknown for in-process calls). */
export interface RequestOrigin {
  remoteAddress?: string | undefined;
}

export class ApiKeyService {
  readonly revocations: RevocationWatch;
  private readonly limiter: AuthFailureLimiter;
  private readonly logger: Logger | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly masterKey: string | undefined,
    private readonly audit: AuditLog,
    options: { logger?: Logger; authFailuresPerMinute?: number } = {},
  ) {
    this.revocations = new RevocationWatch(prisma);
    this.limiter = new AuthFailureLimiter(options.authFailuresPerMinute ?? 20);
    this.logger = options.logger;
  }

  /** The stored key's id behind a principal, when it is one (the master key and open mode cannot be revoked). */
  static keyIdOf(principal: Principal): string | null {
    return principal.actor.startsWith('key:') ? principal.actor.slice(4) : null;
  }

  get open(): boolean {
    return this.masterKey === undefined;
  }

  async authenticate(authorization: string | null | undefined, origin: RequestOrigin = {}): Promise<AuthResult> {
    if (this.masterKey === undefined) return { ok: true, principal: { actor: 'open', scope: 'ADMIN' } };
    const address = origin.remoteAddress;
    const retryAfter = address ? this.limiter.retryAfter(address) : 0;
    if (retryAfter > 0) {
      return {
        ok: false,
        error: new GatewayError('rate_limited', `Too many failed authentications from this address; retry in ${retryAfter} s`, { details: { retryAfterSeconds: retryAfter } }),
      };
    }
    const result = await this.check(authorization);
    if (!result.ok) {
      // Only requests from the network count: in-process calls (tests, yoga.fetch) have no address to limit.
      if (address) this.limiter.recordFailure(address);
      this.logger?.warn('authentication failed', { code: result.error.code, keyPrefix: keyPrefixOf(authorization), remoteAddress: address ?? null });
    }
    return result;
  }

  private async check(authorization: string | null | undefined): Promise<AuthResult> {
    if (this.masterKey === undefined) return { ok: true, principal: { actor: 'open', scope: 'ADMIN' } };
    if (!authorization) {
      return fail('missing_authorization_header', 'The Authorization header is missing. It must use the bearer authorization method.');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) return fail('invalid_api_key', 'The provided API key is invalid.');
    const key = match[1];
    if (safeEqual(key, this.masterKey)) return { ok: true, principal: { actor: 'master', scope: 'ADMIN' } };
    const row = await this.prisma.apiKey.findUnique({ where: { keyHash: hashKey(key) } });
    if (!row || row.revokedAt) return fail('invalid_api_key', 'The provided API key is invalid.');
    // Best effort: a failed timestamp update must not refuse a valid key.
    void this.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
    return { ok: true, principal: { actor: `key:${row.id}`, scope: row.scope } };
  }

  async create(input: { name: string; scope: Scope }, actor: string): Promise<{ key: string; apiKey: ApiKey }> {
    const name = validateName(input.name, 'API key name');
    const key = `bgw_${randomBytes(24).toString('base64url')}`;
    const apiKey = await this.prisma.apiKey.create({
      data: { name, scope: input.scope, keyHash: hashKey(key), prefix: key.slice(0, 10), createdBy: actor },
    });
    await this.audit.record(actor, 'apiKey.create', 'apiKey', apiKey.id, { name, scope: input.scope });
    return { key, apiKey };
  }

  async revoke(id: string, actor: string): Promise<boolean> {
    const row = isUuid(id) ? await this.prisma.apiKey.findUnique({ where: { id } }) : null;
    if (!row) throw new GatewayError('api_key_not_found', `No API key with id "${id.slice(0, 64)}"`);
    if (!row.revokedAt) await this.prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    this.revocations.revoked(id); // its open subscriptions and sockets end now
    await this.audit.record(actor, 'apiKey.revoke', 'apiKey', id, { name: row.name });
    return true;
  }

  list(): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({ orderBy: { createdAt: 'asc' } });
  }
}

/** What a failed key may show in a log: the prefix lists show for gateway keys (`bgw_` + 6), nothing of others. */
function keyPrefixOf(authorization: string | null | undefined): string | null {
  const key = /^Bearer\s+(\S+)/i.exec(authorization ?? '')?.[1];
  return key?.startsWith('bgw_') ? key.slice(0, 10) : null;
}

function fail(code: 'missing_authorization_header' | 'invalid_api_key', message: string): AuthResult {
  return { ok: false, error: new GatewayError(code, message) };
}

function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
