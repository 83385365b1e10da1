// What some tests need beside the repository: the ../shared folder (real engine dumps, published API
// contracts), the `age` CLI, Debian's Chromium. CI has all three (.ci/run installs the tools); a fresh clone on
// another machine may not. A test that needs one runs when it is there and otherwise is skipped, announced by
// one line on stderr naming what is missing — never a silent pass, never a failure for something absent.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The folder beside the repository with the real dumps and published API contracts. */
export const SHARED_DIR = path.resolve(REPO_ROOT, '..', 'shared');

/** A path inside ../shared, e.g. `sharedPath('fixtures', 'meilisearch-dumps')`. */
export function sharedPath(...segments: string[]): string {
  return path.join(SHARED_DIR, ...segments);
}

export interface Requirement {
  /** What is needed, as the skip line names it. */
  name: string;
  available: boolean;
  /** How to get it, for the skip line. */
  hint: string;
}

const onPath = (command: string): boolean => spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;

export const SHARED: Requirement = {
  name: `the folder ${SHARED_DIR} (../shared: real engine dumps and published API contracts)`,
  available: existsSync(SHARED_DIR),
  hint: 'CI provides it next to the repository',
};

export const AGE_CLI: Requirement = { name: 'the `age` command', available: onPath('age'), hint: '`apt-get install age` (.ci/run does)' };

export const CHROMIUM_BINARY = '/usr/bin/chromium';
export const CHROMIUM_BROWSER: Requirement = {
  name: CHROMIUM_BINARY,
  available: existsSync(CHROMIUM_BINARY),
  hint: '`apt-get install chromium` (.ci/run does)',
};

/** Announced skips, per test file and requirement. */
const announced = new Set<string>();

/**
 * The test file that is being collected, read from the stack: when the test files of a vitest worker share this
 * module (isolate: false), each of them still announces its own skips.
 */
function callingTestFile(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  try {
    return /([^\s(]+\.test\.ts)/.exec(new Error().stack ?? '')?.[1] ?? '';
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The one line a test file prints for each missing requirement, naming the first test it skips. */
export function skipLine(requirement: Requirement, what: string): string {
  return `[skip] ${requirement.name} is missing, so the tests needing it are skipped (first: "${what}") — ${requirement.hint}`;
}

function announce(requirement: Requirement, what: string): void {
  const key = `${callingTestFile()}\n${requirement.name}`;
  if (announced.has(key)) return;
  announced.add(key);
  process.stderr.write(`${skipLine(requirement, what)}\n`);
}

/** True when every requirement is there; otherwise announces the skip of `what` once and returns false. */
export function has(what: string, ...requirements: Requirement[]): boolean {
  const missing = requirements.find((requirement) => !requirement.available);
  if (missing === undefined) return true;
  announce(missing, what);
  return false;
}

/** `describe` when every requirement is there, else `describe.skip` with the announced reason. */
export function describeWith(...requirements: Requirement[]) {
  return (name: string, body: () => void) => (has(name, ...requirements) ? describe(name, body) : describe.skip(name, body));
}

/** `it` when every requirement is there, else `it.skip` with the announced reason. */
export function itWith(...requirements: Requirement[]) {
  return (name: string, body: () => unknown, timeout?: number) => (has(name, ...requirements) ? it(name, body, timeout) : it.skip(name, body, timeout));
}

export const describeWithShared = describeWith(SHARED);
export const itWithShared = itWith(SHARED);
