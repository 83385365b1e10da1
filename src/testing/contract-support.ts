// What the contract suite (engine-plugin-contract.ts) uses to state its checks: parts that apply or not,
// documents counted as a plugin writes them, coded failures. Internal to the kit.
import { expect, it } from 'vitest';
import { GatewayError, type ErrorCode } from '../errors.ts';
import type { DocumentSink } from '../storage/archive-types.ts';
import type { ArchiveWriterSession } from '../storage/driver.ts';

type TestBody = () => Promise<void> | void;

/** `it` when a part applies; otherwise a skipped test whose title says why. */
export function itUnless(reason: string | null): (title: string, body: TestBody) => void {
  if (reason === null) return (title, body) => it(title, body);
  return (title, body) => it.skip(`${title} — not applicable: ${reason}`, body);
}

/** `session` as is, except that every document a plugin writes into it is counted. */
export function countingSession(session: ArchiveWriterSession, count: (documents: number) => void): ArchiveWriterSession {
  return new Proxy(session, {
    get(target, key) {
      if (key === 'openDocuments') {
        return (collection: string): DocumentSink => {
          const sink = target.openDocuments(collection);
          return {
            write: (documents) => (count(documents.length), sink.write(documents)),
            writeJsonLines: (data, lines) => (count(lines), sink.writeJsonLines(data, lines)),
            close: () => sink.close(),
          };
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The most `completed` any progress update of the job reported: what the plugin got through before it stopped. */
export function furthestProgress(job: { updates: readonly { completed: number }[] }): number {
  return Math.max(0, ...job.updates.map((update) => update.completed));
}

export function expectGatewayError(error: unknown, code: ErrorCode): void {
  expect(error, `expected GatewayError ${code}, got ${String(error)}`).toBeInstanceOf(GatewayError);
  expect((error as GatewayError).code).toBe(code);
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}
