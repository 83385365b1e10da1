// Bearer-key authentication: the master key, stored API keys (hashed), or open mode without a master key.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKey, ApiKeyScope, PrismaClient } from '../db/client.ts';
import { GatewayError } from '../errors.ts';
import type { AuditLog } from '../catalog/audit.ts';
import { validateName } from '../catalog/names.ts';
import { isUuid } from '../catalog/engines.ts';

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

export class ApiKeyService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly masterKey: string | undefined,
    private readonly audit: AuditLog,
  ) {}

  get open(): boolean {
    return this.masterKey === undefined;
  }

  async authenticate(authorization: string | null | undefined): Promise<AuthResult> {
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
    await this.audit.record(actor, 'apiKey.revoke', 'apiKey', id, { name: row.name });
    return true;
  }

  list(): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({ orderBy: { createdAt: 'asc' } });
  }
}

function fail(code: 'missing_authorization_header' | 'invalid_api_key', message: string): AuthResult {
  return { ok: false, error: new GatewayError(code, message) };
}

function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
