// The only file that speaks to TinyKV: binds every request to the job's AbortSignal plus a per-request
// timeout, checks the answers the plugin depends on, and turns every failure into a coded GatewayError.
import { GatewayError, z } from 'backup-gateway/plugin';

export interface TinyKvConnection {
  url: string;
  token?: string | undefined;
  timeoutMs: number;
}

export interface TinyKvItem {
  key: string;
  value: unknown;
}

const healthAnswer = z.object({ status: z.string(), version: z.string() });
const bucketSummary = z.object({ name: z.string(), items: z.number().int().nonnegative() });
const bucketsAnswer = z.object({ buckets: z.array(bucketSummary) });
const bucketAnswer = bucketSummary.extend({ settings: z.record(z.string(), z.unknown()) });
const itemsAnswer = z.object({ items: z.array(z.object({ key: z.string(), value: z.unknown() })), next: z.string().nullable() });
const errorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type BucketSummary = z.infer<typeof bucketSummary>;
export type BucketInfo = z.infer<typeof bucketAnswer>;

/** The error a plugin throws once its job's signal fired: the core's own reason when it gave a coded one. */
export function canceledError(signal: AbortSignal): GatewayError {
  if (signal.reason instanceof GatewayError) return signal.reason;
  return new GatewayError('job_canceled', 'Operation canceled', { cause: signal.reason });
}

export function throwIfCanceled(signal: AbortSignal): void {
  if (signal.aborted) throw canceledError(signal);
}

export class TinyKvClient {
  readonly #connection: TinyKvConnection;

  constructor(connection: TinyKvConnection) {
    this.#connection = connection;
  }

  async health(signal: AbortSignal): Promise<{ status: string; version: string }> {
    return checked(healthAnswer, await this.#request('GET', '/v1/health', undefined, signal));
  }

  async listBuckets(signal: AbortSignal): Promise<BucketSummary[]> {
    return checked(bucketsAnswer, await this.#request('GET', '/v1/buckets', undefined, signal)).buckets;
  }

  /** null when the bucket does not exist. */
  async getBucket(name: string, signal: AbortSignal): Promise<BucketInfo | null> {
    try {
      return checked(bucketAnswer, await this.#request('GET', bucketPath(name), undefined, signal));
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'collection_not_found') return null;
      throw error;
    }
  }

  async createBucket(name: string, settings: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    await this.#request('PUT', bucketPath(name), { settings }, signal);
  }

  /** No error when the bucket is already gone. */
  async deleteBucket(name: string, signal: AbortSignal): Promise<void> {
    try {
      await this.#request('DELETE', bucketPath(name), undefined, signal);
    } catch (error) {
      if (!(error instanceof GatewayError && error.code === 'collection_not_found')) throw error;
    }
  }

  async readItems(name: string, after: string | null, limit: number, signal: AbortSignal): Promise<{ items: TinyKvItem[]; next: string | null }> {
    const query = new URLSearchParams({ limit: String(limit), ...(after === null ? {} : { after }) });
    return checked(itemsAnswer, await this.#request('GET', `${bucketPath(name)}/items?${query}`, undefined, signal)) as { items: TinyKvItem[]; next: string | null };
  }

  async writeItems(name: string, items: TinyKvItem[], signal: AbortSignal): Promise<void> {
    await this.#request('POST', `${bucketPath(name)}/items`, { items }, signal);
  }

  /** Renames every pair in one engine call: all or nothing; an existing target is replaced. */
  async rename(renames: { from: string; to: string }[], signal: AbortSignal): Promise<void> {
    await this.#request('POST', '/v1/rename', { renames }, signal);
  }

  async #request(method: string, path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    throwIfCanceled(signal);
    const timeout = AbortSignal.timeout(this.#connection.timeoutMs);
    const { url, token } = this.#connection;
    let response: Response;
    try {
      response = await fetch(new URL(path, url), {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (signal.aborted) throw canceledError(signal);
      if (timeout.aborted) throw new GatewayError('engine_timeout', `TinyKV did not answer ${method} ${path} within ${this.#connection.timeoutMs} ms`, { cause: error });
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new GatewayError('engine_unreachable', `TinyKV at ${url} is unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`, { cause: error });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw canceledError(signal);
      throw new GatewayError('engine_unreachable', `TinyKV connection lost during ${method} ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw answerError(response.status, text, `${method} ${path}`);
    try {
      return text === '' ? null : (JSON.parse(text) as unknown);
    } catch (error) {
      throw new GatewayError('engine_error', `TinyKV answered ${method} ${path} with something that is not JSON`, { cause: error });
    }
  }
}

/** An answer the plugin depends on, checked: an engine that answers something else is an engine error, not a crash. */
function checked<T>(schema: z.ZodType<T>, answer: unknown): T {
  const result = schema.safeParse(answer);
  if (!result.success)
    throw new GatewayError('engine_error', `TinyKV answered in an unexpected shape: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return result.data;
}

function bucketPath(name: string): string {
  return `/v1/buckets/${encodeURIComponent(name)}`;
}

/** TinyKV's own code and message are kept in `details`, so operators see what the engine said. */
function answerError(status: number, text: string, request: string): GatewayError {
  let parsed: z.infer<typeof errorAnswer> | null = null;
  try {
    parsed = errorAnswer.parse(JSON.parse(text));
  } catch {
    // not TinyKV's error format (a proxy, a crash page): keep the raw text below
  }
  const engineCode = parsed?.error.code ?? null;
  const message = `TinyKV ${request} → ${status}: ${parsed?.error.message ?? text.slice(0, 200)}`;
  const details = { status, engineCode };
  if (status === 401 || status === 403) return new GatewayError('engine_auth_failed', message, { details });
  if (engineCode === 'bucket_not_found') return new GatewayError('collection_not_found', message, { details });
  return new GatewayError('engine_error', message, { details });
}
