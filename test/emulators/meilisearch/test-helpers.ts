// Shared setup for the emulator's own tests: one emulator per test (closed when the test ends), the
// official client pointed at it, and a raw HTTP helper for what the client cannot send.

import { Meilisearch, MeilisearchApiError } from 'meilisearch';
import { expect, onTestFinished } from 'vitest';
import { startMeilisearchEmulator, type MeilisearchEmulator, type MeilisearchEmulatorOptions } from './server.ts';

export interface RawResponse {
  status: number;
  body: unknown;
}

export interface TestEmulator {
  emulator: MeilisearchEmulator;
  client: Meilisearch;
  raw(method: string, path: string, init?: { body?: string | Blob; headers?: Record<string, string> }): Promise<RawResponse>;
}

export async function startTestEmulator(options: MeilisearchEmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startMeilisearchEmulator(options);
  onTestFinished(() => emulator.close());
  const client = new Meilisearch({ host: emulator.url, apiKey: options.masterKey, defaultWaitOptions: { interval: 5, timeout: 5_000 } });
  const raw = async (method: string, path: string, init: { body?: string | Blob; headers?: Record<string, string> } = {}): Promise<RawResponse> => {
    const headers: Record<string, string> = { ...init.headers };
    if (options.masterKey !== undefined && !('authorization' in headers)) headers.authorization = `Bearer ${options.masterKey}`;
    const response = await fetch(`${emulator.url}${path}`, { method, body: init.body, headers });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  return { emulator, client, raw };
}

/** Awaits a client call that must fail and returns the engine's error object. */
export async function apiError(promise: Promise<unknown>): Promise<{ status: number; code: string; type: string; message: string; link: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MeilisearchApiError);
    const apiErr = error as MeilisearchApiError;
    const cause = apiErr.cause as { code: string; type: string; message: string; link: string };
    return { status: apiErr.response.status, ...cause };
  }
  throw new Error('expected the request to fail');
}

export const errorBody = (code: string, message: string, type = 'invalid_request') => ({
  message,
  code,
  type,
  link: `https://docs.meilisearch.com/errors#${code}`,
});
