// An engine's own retention policy (for backups no schedule policy covers): the form shows what every policy
// of the engine would keep and delete now (planRetention, a dry run) as it is typed; "Save policy" stores it
// (setRetention), "Apply now" starts the DELETE jobs (applyRetention).
import { clear, h } from './dom.js';
import { field, openForm } from './form-dialog.js';
import { formatTime } from './format.js';
import { gql } from './graphql.js';

const KEYS = ['keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'maxAgeDays'];

function readPolicy(form) {
  const policy = {};
  for (const key of KEYS) {
    const raw = form.querySelector(`[name="${key}"]`)?.value.trim() ?? '';
    if (raw !== '') policy[key] = Number(raw);
  }
  return Object.keys(policy).length > 0 ? policy : null;
}

async function preview(engineId, policy, box) {
  try {
    const { planRetention } = await gql(
      'query($e: ID!, $p: RetentionPolicyInput) { planRetention(engineId: $e, policy: $p) { scheduleName keep { backup { id } } delete { backup { name createdAt } } } }',
      { e: engineId, p: policy },
    );
    clear(
      box,
      planRetention.length === 0 ? h('p', null, 'No policy applies: every backup is kept.') : null,
      planRetention.map((group) =>
        h(
          'div',
          { dataset: { testid: 'retention-group' } },
          h('strong', null, `${group.scheduleName ? `Schedule ${group.scheduleName}` : 'Engine policy'}: keeps ${group.keep.length}, deletes ${group.delete.length}`),
          group.delete.length > 0 ? h('ul', null, group.delete.slice(0, 8).map((d) => h('li', null, `${d.backup.name} (${formatTime(d.backup.createdAt)})`))) : null,
        ),
      ),
    );
  } catch (error) {
    clear(box, h('span', { class: 'job-error' }, `[${error.code ?? 'internal'}] ${error.message}`));
  }
}

export async function openRetention(engine, { onChanged }) {
  const { engine: current } = await gql('query($id: ID!) { engine(id: $id) { retention { keepLast keepDaily keepWeekly keepMonthly keepYearly maxAgeDays } } }', { id: engine.id });
  const policy = current?.retention ?? {};
  const box = h('div', { class: 'preview', dataset: { testid: 'engine-retention-preview' } }, 'Planning…');
  const form = openForm({
    title: `Retention of ${engine.name}`,
    testid: 'retention-form',
    body: [
      h('p', { class: 'muted' }, 'For backups of this engine that no schedule policy covers. The newest backup and pinned ones are never deleted.'),
      h('div', { class: 'grid2' }, KEYS.map((key) => field(key, { name: key, type: 'number', min: '0', step: key === 'maxAgeDays' ? 'any' : '1', value: policy[key] ?? '', dataset: { testid: `engine-retention-${key}` } }))),
      box,
    ],
    actions: [
      {
        label: 'Save policy',
        testid: 'save-retention',
        kind: 'primary',
        run: async (f) => {
          await gql('mutation($e: ID!, $p: RetentionPolicyInput) { setRetention(engineId: $e, policy: $p) { id } }', { e: engine.id, p: readPolicy(f) });
          onChanged?.();
          return true;
        },
      },
      {
        label: 'Apply now',
        kind: 'danger',
        run: async () => {
          if (!window.confirm(`Delete now what the stored policies of ${engine.name} do not keep?`)) return false;
          const { applyRetention } = await gql('mutation($e: ID!) { applyRetention(engineId: $e) }', { e: engine.id });
          clear(box, h('strong', null, `${applyRetention} DELETE job(s) started.`));
          onChanged?.();
          return false;
        },
      },
    ],
  });
  let timer;
  form.oninput = () => {
    clearTimeout(timer);
    timer = setTimeout(() => box.isConnected && void preview(engine.id, readPolicy(form) ?? undefined, box), 250);
  };
  await preview(engine.id, undefined, box);
}
