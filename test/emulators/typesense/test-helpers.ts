// Shared setup for the emulator's own tests: one emulator per test (closed when it ends), the official
// client pointed at it, and a raw HTTP helper that checks JSON answers against the published OpenAPI spec.
import { Client, Errors } from 'typesense';
import { expect, onTestFinished } from 'vitest';
import { has, SHARED } from '../../helpers/requirements.ts';
import { openApiErrors, type SpecVersion } from './openapi.ts';
import { startTypesenseEmulator, type TypesenseEmulator, type TypesenseEmulatorOptions } from './server.ts';

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

export interface TestEmulator {
  emulator: TypesenseEmulator;
  client: Client;
  /**
   * A raw request with the admin key (unless `key` is given; null sends none). With `spec` (the spec's path
   * template), a JSON answer must conform to the OpenAPI response schema for that path, method and status.
   */
  raw(method: string, path: string, init?: { body?: string; key?: string | null; spec?: string }): Promise<RawResponse>;
}

export async function startTestEmulator(options: TypesenseEmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startTypesenseEmulator(options);
  onTestFinished(() => emulator.close());
  const client = new Client({ nodes: [{ url: emulator.url }], apiKey: emulator.apiKey, numRetries: 0, logLevel: 'silent' });
  const version: SpecVersion = Number.parseInt(options.version ?? '29', 10) >= 30 ? 'v30' : 'v28';
  const raw: TestEmulator['raw'] = async (method, path, init = {}) => {
    const key = init.key === undefined ? emulator.apiKey : init.key;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(key === null ? {} : { 'x-typesense-api-key': key }) };
    const response = await fetch(`${emulator.url}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    const json = contentType.startsWith('application/json') ? (JSON.parse(text) as unknown) : undefined;
    // The functional assertions run everywhere; the check against the published spec needs ../shared.
    if (init.spec !== undefined && json !== undefined && has('checks of answers against the Typesense OpenAPI spec', SHARED)) {
      expect(openApiErrors(version, method, init.spec, response.status, json), `${method} ${path} → ${response.status} ${text}`).toEqual([]);
    }
    return { status: response.status, contentType, text, json };
  };
  return { emulator, client, raw };
}

/** Awaits a client call that must fail; returns its HTTP status and the server's message. */
export async function clientError(promise: Promise<unknown>): Promise<{ status: number; name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Errors.TypesenseError);
    const typed = error as InstanceType<typeof Errors.TypesenseError>;
    return { status: typed.httpStatus ?? 0, name: typed.name, message: /Server said: (.*)$/s.exec(typed.message)?.[1] ?? '' };
  }
  throw new Error('expected the request to fail');
}

export const booksSchema = {
  name: 'books',
  fields: [
    { name: 'title', type: 'string' },
    { name: 'points', type: 'int32' },
    { name: 'tags', type: 'string[]', facet: true, optional: true },
  ],
  default_sorting_field: 'points',
};
