// previewSchedule: the next slots of a cron and time zone before a schedule is saved (the schedule form's
// preview), checked exactly as createSchedule checks them (invalid_cron, invalid_timezone, schedule_too_frequent).
import { checkInterval, nextRuns, parseCron, validateTimezone } from '../../lifecycle/schedules.ts';
import { builder } from '../builder.ts';

const MAX_PREVIEW = 20;

builder.queryField('previewSchedule', (t) =>
  t.field({
    type: ['DateTime'],
    description: 'The next slots a schedule with this cron and time zone would run at; fails as createSchedule would',
    args: {
      cron: t.arg.string({ required: true, description: 'The cron pattern, as createSchedule takes it' }),
      timezone: t.arg.string({ defaultValue: 'UTC', description: 'An IANA time zone' }),
      count: t.arg.int({ defaultValue: 5, description: `How many slots, 1–${MAX_PREVIEW}` }),
    },
    resolve: (_root, args, ctx) => {
      const timezone = validateTimezone(args.timezone);
      const cron = parseCron(args.cron, timezone);
      checkInterval(cron, args.cron.trim(), ctx.gateway.config.minScheduleIntervalMs);
      return nextRuns({ cron: args.cron.trim(), timezone }, Math.min(Math.max(args.count ?? 5, 1), MAX_PREVIEW));
    },
  }),
);
