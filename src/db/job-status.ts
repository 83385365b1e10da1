// What a job's status means: the values are the database's JobStatus enum, so every layer may ask this module.
import type { Job } from './client.ts';

export const TERMINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELED'] as const;
/** A job in one of these still holds its engine (and its backup). */
export const ACTIVE_STATUSES: Job['status'][] = ['QUEUED', 'RUNNING', 'CANCELING'];

export function isTerminal(status: Job['status']): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}
