// /tasks and /batches (routes/tasks.rs, routes/batches.rs): listing with the task filters, one task
// or batch, and the cancel / delete tasks that take a filter.

import { isIndexAuthorized, type AuthFilter } from '../auth.ts';
import { batchView, type Batch } from '../batches.ts';
import type { Engine } from '../engine.ts';
import { MeiliError, isValidIndexUid, type MeiliErrorCode } from '../errors.ts';
import { json, type Route } from '../http.ts';
import { boolParam, invalidParam, listParam, parseQuery, positiveIntegerElement, u32Param } from '../params.ts';
import { TASK_STATUSES, indexUidOf, taskTypesOf, isEmptyFilter, matchesFilter, taskView, type Task, type TaskFilter, type TaskStatus, type TaskType } from '../tasks.ts';

const FILTER_PARAMS = [
  'uids',
  'batchUids',
  'canceledBy',
  'types',
  'statuses',
  'indexUids',
  'afterEnqueuedAt',
  'beforeEnqueuedAt',
  'afterStartedAt',
  'beforeStartedAt',
  'afterFinishedAt',
  'beforeFinishedAt',
] as const;
const LIST_PARAMS = ['limit', 'from', 'reverse', 'batchUids', 'uids', 'canceledBy', 'types', 'statuses', 'indexUids', ...FILTER_PARAMS.slice(6)];

/** `deserialize_date`: RFC 3339, or a bare date (the next midnight for `after…` bounds). */
function dateParam(params: Map<string, string>, name: (typeof FILTER_PARAMS)[number], code: MeiliErrorCode): Date | null | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  if (raw === '*') return null;
  const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const parsed = rfc3339.test(raw) || day.test(raw) ? new Date(day.test(raw) ? `${raw}T00:00:00Z` : raw) : null;
  if (!parsed || Number.isNaN(parsed.getTime())) {
    throw invalidParam(name, `\`${raw}\` is an invalid date-time. It should follow the YYYY-MM-DD or RFC 3339 date-time format.`, code);
  }
  if (day.test(raw) && name.startsWith('after')) parsed.setUTCDate(parsed.getUTCDate() + 1);
  return parsed;
}

function parseFilter(params: Map<string, string>, known: readonly TaskType[]): TaskFilter {
  const filter: TaskFilter = {
    uids: listParam(params, 'uids', 'invalid_task_uids', positiveIntegerElement),
    batchUids: listParam(params, 'batchUids', 'invalid_batch_uids', positiveIntegerElement),
    canceledBy: listParam(params, 'canceledBy', 'invalid_task_canceled_by', positiveIntegerElement),
    types: listParam(params, 'types', 'invalid_task_types', (raw) =>
      (known as readonly string[]).includes(raw)
        ? { ok: true, value: raw as TaskType }
        : { ok: false, detail: `\`${raw}\` is not a valid task type. Available types are ${known.map((t) => `\`${t}\``).join(', ')}.` },
    ),
    statuses: listParam(params, 'statuses', 'invalid_task_statuses', (raw) =>
      (TASK_STATUSES as readonly string[]).includes(raw)
        ? { ok: true, value: raw as TaskStatus }
        : { ok: false, detail: `\`${raw}\` is not a valid task status. Available statuses are ${TASK_STATUSES.map((t) => `\`${t}\``).join(', ')}.` },
    ),
    indexUids: listParam(params, 'indexUids', 'invalid_index_uid', (raw) =>
      isValidIndexUid(raw)
        ? { ok: true, value: raw }
        : {
            ok: false,
            detail: `\`${raw}\` is not a valid index uid. Index uid can be an integer or a string containing only alphanumeric characters, hyphens (-) and underscores (_), and can not be more than 512 bytes.`,
          },
    ),
    afterEnqueuedAt: dateParam(params, 'afterEnqueuedAt', 'invalid_task_after_enqueued_at'),
    beforeEnqueuedAt: dateParam(params, 'beforeEnqueuedAt', 'invalid_task_before_enqueued_at'),
    afterStartedAt: dateParam(params, 'afterStartedAt', 'invalid_task_after_started_at'),
    beforeStartedAt: dateParam(params, 'beforeStartedAt', 'invalid_task_before_started_at'),
    afterFinishedAt: dateParam(params, 'afterFinishedAt', 'invalid_task_after_finished_at'),
    beforeFinishedAt: dateParam(params, 'beforeFinishedAt', 'invalid_task_before_finished_at'),
  };
  for (const key of Object.keys(filter) as Array<keyof TaskFilter>) if (filter[key] === undefined) delete filter[key];
  return filter;
}

/** A restricted key only sees tasks tied to one authorized index. */
function visible(task: Task, auth: AuthFilter): boolean {
  if (auth.indexPatterns === null) return true;
  const uid = indexUidOf(task.content);
  return uid !== null && isIndexAuthorized(auth, uid);
}

/** `{results, total, limit, from, next}`: newest first unless `reverse`, starting at `from`. */
function page<T>(items: T[], uidOf: (item: T) => number, params: Map<string, string>, code: { limit: MeiliErrorCode; from: MeiliErrorCode; reverse: MeiliErrorCode }) {
  const limit = u32Param(params, 'limit', code.limit) ?? 20;
  const from = u32Param(params, 'from', code.from);
  const reverse = boolParam(params, 'reverse', code.reverse) ?? false;
  const ordered = reverse ? items : [...items].reverse();
  const started = from === undefined ? ordered : ordered.filter((i) => (reverse ? uidOf(i) >= from : uidOf(i) <= from));
  const window = started.slice(0, limit + 1);
  const next = window.length > limit ? uidOf(window.pop()!) : null;
  return { window, total: items.length, limit, from: window.length > 0 ? uidOf(window[0]!) : null, next };
}

export function taskRoutes(engine: Engine): Route[] {
  const filteredTasks = (auth: AuthFilter, filter: TaskFilter): Task[] => engine.queue.all().filter((t) => visible(t, auth) && matchesFilter(t, filter));

  const taskFilterRoute = (method: 'POST' | 'DELETE', type: 'taskCancelation' | 'taskDeletion'): Route => ({
    method,
    pattern: method === 'POST' ? '/tasks/cancel' : '/tasks',
    handler: (req) => {
      const auth = engine.auth(req.headers, type === 'taskCancelation' ? 'tasks.cancel' : 'tasks.delete');
      const filter = parseFilter(parseQuery(req.search, FILTER_PARAMS), taskTypesOf(engine.options.version));
      if (isEmptyFilter(filter)) {
        const verb = type === 'taskCancelation' ? 'cancel' : 'delete';
        throw new MeiliError(
          'missing_task_filters',
          `Query parameters to filter the tasks to ${verb} are missing. Available query parameters are: \`uids\`, \`indexUids\`, \`statuses\`, \`types\`, \`canceledBy\`, \`beforeEnqueuedAt\`, \`afterEnqueuedAt\`, \`beforeStartedAt\`, \`afterStartedAt\`, \`beforeFinishedAt\`, \`afterFinishedAt\`.`,
        );
      }
      // the matched set is fixed when the task is registered, as in the engine
      const matched = filteredTasks(auth, filter).map((t) => t.uid);
      const query = `?${req.search}`;
      const details =
        type === 'taskCancelation'
          ? { matchedTasks: matched.length, canceledTasks: null, originalFilter: query }
          : { matchedTasks: matched.length, deletedTasks: null, originalFilter: query };
      const view = engine.enqueue({ type, matched, query }, details);
      if (type === 'taskCancelation') engine.scheduler.abortIfProcessing(new Set(matched));
      return json(200, view);
    },
  });

  const batchesOf = (auth: AuthFilter, filter: TaskFilter): Batch[] => {
    const processing = engine.scheduler.processingBatch;
    const all = [...engine.scheduler.batches.values(), ...(processing ? [processing] : [])].sort((a, b) => a.uid - b.uid);
    // a batch matches when one of its tasks does (`uids` are task uids, `batchUids` batch uids)
    return all.filter((batch) => batch.tasks.some((t) => visible(t, auth) && matchesFilter(t, filter)));
  };

  const uidParam = (raw: string, kind: 'Task' | 'Batch'): number => {
    if (!/^\d+$/.test(raw) || Number(raw) > 4294967295) {
      throw new MeiliError(kind === 'Task' ? 'invalid_task_uids' : 'invalid_batch_uids', `${kind} uid \`${raw}\` is invalid. It should only contain numeric characters.`);
    }
    return Number(raw);
  };

  return [
    {
      method: 'GET',
      pattern: '/tasks',
      handler: (req) => {
        const auth = engine.auth(req.headers, 'tasks.get');
        const params = parseQuery(req.search, LIST_PARAMS);
        const tasks = filteredTasks(auth, parseFilter(params, taskTypesOf(engine.options.version)));
        const { window, total, limit, from, next } = page(tasks, (t) => t.uid, params, { limit: 'invalid_task_limit', from: 'invalid_task_from', reverse: 'invalid_task_reverse' });
        return json(200, { results: window.map(taskView), total, limit, from, next });
      },
    },
    taskFilterRoute('DELETE', 'taskDeletion'),
    taskFilterRoute('POST', 'taskCancelation'),
    {
      method: 'GET',
      pattern: '/tasks/:taskUid',
      handler: (req, { taskUid = '' }) => {
        const auth = engine.auth(req.headers, 'tasks.get');
        const uid = uidParam(taskUid, 'Task');
        const task = engine.queue.get(uid);
        if (!task || !visible(task, auth)) throw new MeiliError('task_not_found', `Task \`${uid}\` not found.`);
        return json(200, taskView(task));
      },
    },
    {
      method: 'GET',
      pattern: '/tasks/:taskUid/documents',
      handler: (req, { taskUid = '' }) => {
        const auth = engine.auth(req.headers, 'tasks.get');
        if (!engine.enabled('getTaskDocumentsRoute')) {
          throw new MeiliError(
            'feature_not_enabled',
            'Getting the documents of an enqueued task requires enabling the `get task documents route` experimental feature. See https://github.com/orgs/meilisearch/discussions/808',
          );
        }
        if (!/^\d+$/.test(taskUid)) throw new MeiliError('invalid_task_uids', `Task uid \`${taskUid}\` is invalid. It should only contain numeric characters.`);
        const uid = Number(taskUid);
        const task = engine.queue.get(uid);
        if (!task || !visible(task, auth)) throw new MeiliError('task_not_found', `Task \`${uid}\` not found.`);
        // the update file lives until the task is processed (then `delete_persisted_task_data`)
        if (task.content.type !== 'documentAdditionOrUpdate' || task.content.documents === null) {
          throw new MeiliError(
            'task_file_not_found',
            `Task \`${uid}\` does not contain any documents. Only \`documentAdditionOrUpdate\` tasks with the statuses \`enqueued\` or \`processing\` contain documents`,
          );
        }
        return { status: 200, text: task.content.documents.map((doc) => JSON.stringify(doc)).join('\n') + '\n', contentType: 'application/x-ndjson' };
      },
    },
    {
      method: 'GET',
      pattern: '/batches',
      handler: (req) => {
        const auth = engine.auth(req.headers, 'tasks.get');
        const params = parseQuery(req.search, LIST_PARAMS);
        const batches = batchesOf(auth, parseFilter(params, taskTypesOf(engine.options.version)));
        const { window, total, limit, from, next } = page(batches, (b) => b.uid, params, {
          limit: 'invalid_task_limit',
          from: 'invalid_task_from',
          reverse: 'invalid_task_reverse',
        });
        return json(200, { results: window.map((b) => batchView(b, engine.options.version)), total, limit, from, next });
      },
    },
    {
      method: 'GET',
      pattern: '/batches/:batchUid',
      handler: (req, { batchUid = '' }) => {
        const auth = engine.auth(req.headers, 'tasks.get');
        const uid = uidParam(batchUid, 'Batch');
        const processing = engine.scheduler.processingBatch;
        const batch = processing?.uid === uid ? processing : engine.scheduler.batches.get(uid);
        if (!batch || !batch.tasks.some((t) => visible(t, auth))) throw new MeiliError('batch_not_found', `Batch \`${uid}\` not found.`);
        return json(200, batchView(batch, engine.options.version));
      },
    },
  ];
}
