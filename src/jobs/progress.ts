// Job progress: validated numbers, published at most ~10/s and persisted at most 1/s per job.
import type { ProgressUpdate } from '../engines/contract.ts';

export interface JobProgressState {
  phase: string;
  completed: number;
  total: number | null;
  unit: string;
  bytes: number | null;
  message: string | null;
  updatedAt: string;
  /** ProgressUpdate.engineTask: the engine-side task to follow again after a restart. */
  engineTask?: string;
}

export const PUBLISH_INTERVAL_MS = 100;
export const PERSIST_INTERVAL_MS = 1000;

export function initialProgress(phase = 'queued'): JobProgressState {
  return { phase, completed: 0, total: null, unit: 'steps', bytes: null, message: null, updatedAt: new Date().toISOString() };
}

/** Reads a stored progress JSON defensively (rows written by older versions or by hand). */
export function readProgress(value: unknown): JobProgressState {
  const v = (value ?? {}) as Partial<JobProgressState>;
  return {
    phase: typeof v.phase === 'string' ? v.phase : 'unknown',
    completed: finiteOr(v.completed, 0),
    total: v.total === null || v.total === undefined ? null : finiteOr(v.total, 0),
    unit: typeof v.unit === 'string' ? v.unit : 'steps',
    bytes: v.bytes === null || v.bytes === undefined ? null : finiteOr(v.bytes, 0),
    message: typeof v.message === 'string' ? v.message : null,
    updatedAt: typeof v.updatedAt === 'string' ? v.updatedAt : new Date(0).toISOString(),
    ...(typeof v.engineTask === 'string' && v.engineTask !== '' ? { engineTask: v.engineTask } : {}),
  };
}

function finiteOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

export interface ProgressSink {
  /** Publish to subscribers (cheap, in memory or Redis). */
  publish(progress: JobProgressState): void;
  /** Persist to the job row (a database write). */
  persist(progress: JobProgressState): Promise<void>;
  /** Called when the phase changes: a job event row. */
  phaseChanged(progress: JobProgressState): void;
}

export class ProgressTracker {
  private state: JobProgressState;
  private lastPublish = 0;
  private lastPersist = 0;
  private trailing: NodeJS.Timeout | undefined;
  private persisting: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: ProgressSink,
    initial: JobProgressState,
  ) {
    this.state = initial;
  }

  get current(): JobProgressState {
    return this.state;
  }

  update(update: ProgressUpdate): void {
    const previousPhase = this.state.phase;
    const previousTask = this.state.engineTask;
    const engineTask = update.engineTask ?? previousTask;
    this.state = {
      phase: update.phase || previousPhase,
      completed: finiteOr(update.completed, this.state.completed),
      total: update.total === null ? null : finiteOr(update.total, 0),
      unit: update.unit || this.state.unit,
      bytes: update.bytes === undefined || update.bytes === null ? this.state.bytes : finiteOr(update.bytes, 0),
      message: update.message ?? null,
      updatedAt: new Date().toISOString(),
      ...(engineTask ? { engineTask } : {}),
    };
    if (this.state.phase !== previousPhase) {
      this.sink.phaseChanged(this.state);
      this.publishNow();
    } else {
      this.publishThrottled();
    }
    const now = Date.now();
    // A new engine task is written at once: a restart right after it must still find it.
    if (now - this.lastPersist >= PERSIST_INTERVAL_MS || engineTask !== previousTask) {
      this.lastPersist = now;
      this.enqueuePersist();
    }
  }

  /** Sets the engine task to follow and resolves once it is written with the job's progress. */
  async recordEngineTask(engineTask: string): Promise<void> {
    this.state = { ...this.state, engineTask, updatedAt: new Date().toISOString() };
    this.lastPersist = Date.now();
    this.enqueuePersist();
    await this.persisting;
  }

  /** Writes the latest state and stops the trailing timer; call before the job's final status. */
  async flush(): Promise<void> {
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = undefined;
    this.enqueuePersist();
    await this.persisting;
  }

  private publishThrottled(): void {
    const wait = PUBLISH_INTERVAL_MS - (Date.now() - this.lastPublish);
    if (wait <= 0) return this.publishNow();
    this.trailing ??= setTimeout(() => {
      this.trailing = undefined;
      this.publishNow();
    }, wait);
  }

  private publishNow(): void {
    this.lastPublish = Date.now();
    this.sink.publish(this.state);
  }

  private enqueuePersist(): void {
    const snapshot = this.state;
    this.persisting = this.persisting.then(() => this.sink.persist(snapshot)).catch(() => undefined);
  }
}
