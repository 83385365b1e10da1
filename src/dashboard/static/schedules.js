// Schedules: each with its cron in its time zone, the next runs, its retention policy and last outcome; a form
// to create one that previews the next runs (previewSchedule) and what the retention policy would delete now
// (planRetention, a dry run) while it is typed.
import { clear, h } from './dom.js';
import { guarded } from './errors.js';
import { field, openForm } from './form-dialog.js';
import { formatTime, formatTimeIn } from './format.js';
import { gql } from './graphql.js';

const FIELDS = `id name cron timezone paused pausedReason strategy type collections consecutiveFailures lastRunAt lastError
  engine { id name } retention { keepLast keepDaily keepWeekly keepMonthly keepYearly maxAgeDays } nextRuns(count: 3)`;
const KEEP = ['keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'];

function policyText(policy) {
  if (!policy) return 'engine policy (or none)';
  const parts = KEEP.filter((k) => policy[k] !== null && policy[k] !== undefined).map((k) => `${k.slice(4).toLowerCase()} ${policy[k]}`);
  if (policy.maxAgeDays !== null && policy.maxAgeDays !== undefined) parts.push(`max ${policy.maxAgeDays} days`);
  return parts.length > 0 ? `keep ${parts.join(', ')}` : 'keep everything';
}

export class SchedulesView {
  constructor(root, { engines, onChanged }) {
    this.root = root;
    this.engines = engines;
    this.onChanged = onChanged;
  }

  async load() {
    const { schedules } = await gql(`{ schedules { ${FIELDS} } }`);
    if (schedules.length === 0) {
      clear(this.root, h('p', { class: 'muted' }, 'No schedule yet: engines are backed up only when someone asks.'));
      return;
    }
    const head = ['Name', 'Engine', 'When', 'Next runs', 'Retention', 'Last run', ''];
    clear(
      this.root,
      h(
        'table',
        null,
        h('thead', null, h('tr', null, head.map((t) => h('th', null, t)))),
        h('tbody', null, schedules.map((s) => this.row(s))),
      ),
    );
  }

  row(s) {
    const pause = h(
      'button',
      { type: 'button', class: 'secondary small', 'data-needs': 'OPERATOR', onclick: () => this.act(`Pause ${s.name}`, 'mutation($id: ID!, $p: Boolean) { pauseSchedule(id: $id, paused: $p) { id } }', { id: s.id, p: !s.paused }) },
      s.paused ? 'Resume' : 'Pause',
    );
    const edit = h('button', { type: 'button', class: 'secondary small', 'data-needs': 'OPERATOR', dataset: { testid: 'edit-schedule' }, onclick: () => this.openCreate(s) }, 'Edit');
    const remove = h(
      'button',
      {
        type: 'button',
        class: 'danger small',
        'data-needs': 'OPERATOR',
        onclick: () => window.confirm(`Delete schedule "${s.name}"? Its backups stay.`) && this.act(`Delete ${s.name}`, 'mutation($id: ID!) { deleteSchedule(id: $id) }', { id: s.id }),
      },
      'Delete',
    );
    return h(
      'tr',
      { dataset: { testid: 'schedule', scheduleId: s.id } },
      h('td', null, h('strong', null, s.name), s.paused ? h('span', { class: 'status', dataset: { status: 'CANCELED' } }, ' paused') : null),
      h('td', null, s.engine?.name ?? '–'),
      h('td', { class: 'mono' }, `${s.cron} (${s.timezone})`),
      h('td', { dataset: { testid: 'schedule-next-runs' } }, s.nextRuns.length === 0 ? h('span', { class: 'muted' }, s.pausedReason ?? 'paused') : s.nextRuns.map((r) => h('div', null, formatTimeIn(r, s.timezone)))),
      h('td', null, policyText(s.retention)),
      h('td', null, s.lastRunAt ? formatTime(s.lastRunAt) : h('span', { class: 'muted' }, 'not yet'), s.lastError ? h('div', { class: 'job-error' }, s.lastError) : null),
      h('td', null, h('span', { class: 'actions' }, edit, pause, remove)),
    );
  }

  async act(context, mutation, variables) {
    await guarded(context, async () => {
      await gql(mutation, variables);
      await this.load();
      this.onChanged?.();
    });
  }

  /** The create form, or the edit form of `schedule`; its preview follows the fields as they are typed. */
  openCreate(schedule) {
    const engines = this.engines();
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
    const runs = h('div', { class: 'preview', dataset: { testid: 'next-runs-preview' } }, 'Next runs: type a cron pattern.');
    const retention = h('div', { class: 'preview', dataset: { testid: 'retention-preview' } }, 'Retention: give a policy to see what it would delete now.');
    const body = [
      h(
        'label',
        null,
        'Engine *',
        h('select', { name: 'engineId', disabled: Boolean(schedule), dataset: { testid: 'schedule-engine' } }, engines.map((e) => h('option', { value: e.id, selected: e.id === schedule?.engine?.id }, e.name))),
      ),
      field('Name', { name: 'name', placeholder: 'default: engine and cron', autocomplete: 'off', value: schedule?.name ?? '' }),
      h(
        'div',
        { class: 'grid2' },
        field('Cron * (5 fields, or 6 with seconds)', { name: 'cron', value: schedule?.cron ?? '0 3 * * *', dataset: { testid: 'schedule-cron' }, autocomplete: 'off' }),
        h(
          'label',
          null,
          'Time zone',
          h('input', { name: 'timezone', value: schedule?.timezone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'), list: 'time-zones', dataset: { testid: 'schedule-timezone' } }),
          h('datalist', { id: 'time-zones' }, zones.map((z) => h('option', { value: z }))),
        ),
      ),
      h(
        'div',
        { class: 'grid2' },
        h('label', null, 'Strategy', h('select', { name: 'strategy' }, ['LOGICAL', 'NATIVE'].map((v) => h('option', { value: v, selected: schedule?.strategy === v }, v.charAt(0) + v.slice(1).toLowerCase())))),
        h('label', null, 'Type', h('select', { name: 'type' }, ['FULL', 'INCREMENTAL'].map((v) => h('option', { value: v, selected: schedule?.type === v }, v.charAt(0) + v.slice(1).toLowerCase())))),
      ),
      runs,
      h(
        'fieldset',
        null,
        h('legend', null, 'Retention (empty = the engine policy applies)'),
        h(
          'div',
          { class: 'grid2' },
          KEEP.map((k) => field(k, { name: k, type: 'number', min: '1', step: '1', value: schedule?.retention?.[k] ?? '', dataset: { testid: `retention-${k}` } })),
          field('maxAgeDays', { name: 'maxAgeDays', type: 'number', min: '0', step: 'any', value: schedule?.retention?.maxAgeDays ?? '' }),
        ),
      ),
      retention,
    ];
    const read = (form) => {
      const value = (name) => form.querySelector(`[name="${name}"]`)?.value.trim() ?? '';
      const policy = {};
      for (const k of [...KEEP, 'maxAgeDays']) if (value(k) !== '') policy[k] = Number(value(k));
      return {
        engineId: value('engineId'),
        cron: value('cron'),
        timezone: value('timezone') || 'UTC',
        strategy: value('strategy'),
        type: value('type'),
        ...(value('name') ? { name: value('name') } : {}),
        ...(Object.keys(policy).length > 0 ? { retention: policy } : {}),
      };
    };
    const save = async (f) => {
      const input = read(f);
      if (!schedule) return gql('mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }', { i: input });
      const { engineId: _engine, retention, name, ...rest } = input;
      // The name goes only when changed: a default name the gateway made ("meili 0 3 * * *") fails its own name
      // rule on update.
      if (name && name !== schedule.name) rest.name = name;
      return gql('mutation($id: ID!, $i: UpdateScheduleInput!) { updateSchedule(id: $id, input: $i) { id } }', {
        id: schedule.id,
        i: { ...rest, ...(retention ? { retention } : { clearRetention: true }) },
      });
    };
    const form = openForm({
      title: schedule ? `Edit schedule ${schedule.name}` : 'New schedule',
      testid: 'schedule-form',
      body,
      actions: [
        {
          label: schedule ? 'Save schedule' : 'Create schedule',
          testid: 'create-schedule',
          kind: 'primary',
          run: async (f) => {
            await save(f);
            await this.load();
            this.onChanged?.();
            return true;
          },
        },
      ],
    });
    let timer;
    const preview = () => {
      clearTimeout(timer);
      // The shared dialog may hold another form by then: preview only while this one is shown.
      timer = setTimeout(() => runs.isConnected && void this.preview(read(form), runs, retention), 250);
    };
    form.oninput = preview;
    form.onchange = preview;
    preview();
  }

  async preview(input, runs, retention) {
    try {
      const { previewSchedule } = await gql('query($c: String!, $z: String) { previewSchedule(cron: $c, timezone: $z, count: 5) }', { c: input.cron, z: input.timezone });
      clear(runs, h('strong', null, `Next runs (${input.timezone}):`), h('ol', null, previewSchedule.map((r) => h('li', { dataset: { testid: 'next-run' } }, formatTimeIn(r, input.timezone)))));
      runs.dataset.state = 'ok';
    } catch (error) {
      clear(runs, h('span', { class: 'job-error' }, `[${error.code ?? 'internal'}] ${error.message}`));
      runs.dataset.state = 'error';
    }
    if (!input.retention || !input.engineId) {
      clear(retention, 'Retention: give a policy to see what it would delete now.');
      return;
    }
    try {
      const { planRetention } = await gql(
        'query($e: ID!, $p: RetentionPolicyInput) { planRetention(engineId: $e, policy: $p) { scheduleName keep { backup { id name } } delete { backup { id name createdAt } } } }',
        { e: input.engineId, p: input.retention },
      );
      // The engine group (no schedule) is what a new schedule's policy is previewed against.
      const group = planRetention.find((g) => g.scheduleName === null) ?? planRetention[0];
      const keep = group?.keep.length ?? 0;
      const drop = group?.delete ?? [];
      clear(
        retention,
        h('strong', { dataset: { testid: 'retention-summary' } }, `Dry run now: keeps ${keep}, deletes ${drop.length}`),
        drop.length > 0 ? h('ul', null, drop.slice(0, 10).map((d) => h('li', null, `${d.backup.name} (${formatTime(d.backup.createdAt)})`))) : null,
        drop.length > 10 ? h('p', { class: 'muted' }, `… and ${drop.length - 10} more`) : null,
      );
    } catch (error) {
      clear(retention, h('span', { class: 'job-error' }, `[${error.code ?? 'internal'}] ${error.message}`));
    }
  }
}
