// Add and edit engines with a form generated from the plugin's configSchema (JSON Schema): text, number,
// checkbox and select fields, JSON for nested values. Secret keys are write-only: never shown, and left empty on
// an edit they keep their stored value (reconfigureEngine). "Test connection" asks the engine before saving.
import { h } from './dom.js';
import { field, openForm } from './form-dialog.js';
import { GatewayError, gql } from './graphql.js';

/** The JSON Schema of one property, without the optional/nullable wrapping zod adds. */
function plain(schema) {
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return { ...plain(options.find((o) => o.type !== 'null') ?? options[0]), description: schema.description, default: schema.default };
  return schema;
}

function inputFor(key, schema, { required, secret, value, editing }) {
  const p = plain(schema);
  const label = `${key}${required ? ' *' : ''}`;
  const hint = p.description ? h('span', { class: 'secret-note' }, ` ${p.description}`) : null;
  const common = { name: key, dataset: { key, kind: p.type ?? 'json', testid: `config-${key}` }, 'aria-label': key };
  if (secret) {
    return h(
      'label',
      null,
      label,
      hint,
      h('input', { ...common, type: 'password', autocomplete: 'new-password', placeholder: editing ? 'unchanged (write-only)' : '', required: required && !editing }),
      editing ? h('span', { class: 'secret-note' }, 'Stored secrets are never shown; leave empty to keep the stored value.') : null,
    );
  }
  const current = value ?? p.default;
  if (p.enum) {
    return h('label', null, label, hint, h('select', common, [required ? null : h('option', { value: '' }, '(default)'), p.enum.map((v) => h('option', { value: String(v), selected: String(v) === String(current) }, String(v)))]));
  }
  if (p.type === 'boolean') return h('label', { class: 'check' }, h('input', { ...common, type: 'checkbox', checked: current === true }), label, hint);
  if (p.type === 'integer' || p.type === 'number') {
    return h('label', null, label, hint, h('input', { ...common, type: 'number', step: p.type === 'integer' ? '1' : 'any', min: p.minimum, max: p.maximum, value: current ?? '', required }));
  }
  if (p.type === 'string') return h('label', null, label, hint, h('input', { ...common, type: p.format === 'uri' ? 'url' : 'text', value: current ?? '', required }));
  return h('label', null, `${label} (JSON)`, hint, h('textarea', { ...common, rows: 3 }, current === undefined ? '' : JSON.stringify(current)));
}

/** The config the form holds: empty fields left out (the plugin's defaults apply). */
function readConfig(form) {
  const config = {};
  for (const el of form.querySelectorAll('[data-key]')) {
    const key = el.dataset.key;
    const kind = el.dataset.kind;
    if (kind === 'boolean') {
      config[key] = el.checked;
      continue;
    }
    const raw = el.value.trim();
    if (raw === '') continue;
    if (kind === 'integer' || kind === 'number') config[key] = Number(raw);
    else if (kind === 'json') config[key] = JSON.parse(raw);
    else config[key] = el.type === 'password' ? el.value : raw;
  }
  return config;
}

function configFields(plugin, schema, values, editing) {
  const secret = new Set(plugin.secretKeys);
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, prop]) =>
    inputFor(key, prop, { required: required.has(key), secret: secret.has(key), value: secret.has(key) ? undefined : values?.[key], editing }),
  );
}

/** Opens the engine form: a new engine (engine undefined) or an edit. onSaved(engine) after a save. */
export async function openEngineForm({ plugins, engine, onSaved }) {
  const data = await gql('{ plugins { name displayName secretKeys configSchema } }');
  const all = data.plugins;
  const editing = Boolean(engine);
  let plugin = all.find((p) => p.name === (engine?.plugin ?? plugins[0]?.name)) ?? all[0];
  const configBox = h('div', { class: 'config-fields' });
  const result = h('p', { class: 'preview', dataset: { testid: 'connection-result' }, hidden: true });
  const renderConfig = () => configBox.replaceChildren(...configFields(plugin, plugin.configSchema, engine?.config, editing));
  const pluginSelect = h(
    'select',
    {
      name: 'plugin',
      disabled: editing,
      dataset: { testid: 'engine-plugin' },
      onchange: (event) => {
        plugin = all.find((p) => p.name === event.target.value);
        renderConfig();
      },
    },
    all.map((p) => h('option', { value: p.name, selected: p.name === plugin.name }, p.displayName)),
  );
  renderConfig();
  const body = [
    field('Name *', { name: 'engine-name', value: engine?.name ?? '', required: true, dataset: { testid: 'engine-name' }, autocomplete: 'off' }),
    h('label', null, 'Plugin', pluginSelect),
    configBox,
    result,
  ];
  const test = async (form) => {
    const input = { plugin: plugin.name, config: readConfig(form), ...(editing ? { engineId: engine.id } : {}) };
    const { testEngineConnection: health } = await gql('mutation($i: TestEngineConnectionInput!) { testEngineConnection(input: $i) { ok version message } }', { i: input });
    result.hidden = false;
    result.dataset.ok = String(health.ok);
    result.textContent = health.ok ? `Connected: healthy${health.version ? `, version ${health.version}` : ''}` : `Not reachable: ${health.message ?? 'no answer'}`;
    return health.ok;
  };
  openForm({
    title: editing ? `Edit engine ${engine.name}` : 'Add engine',
    testid: 'engine-form',
    body,
    actions: [
      { label: 'Test connection', testid: 'test-connection', run: async (form) => void (await test(form)) },
      {
        label: 'Save',
        testid: 'save-engine',
        kind: 'primary',
        run: async (form) => {
          const name = form.querySelector('[name="engine-name"]').value.trim();
          const config = readConfig(form);
          // Tested before it is saved: a config the engine refuses is not registered.
          if (!(await test(form))) throw new GatewayError('engine_unreachable', `Not saved: ${result.textContent}`, 'engine');
          const saved = editing
            ? (await gql('mutation($id: ID!, $i: ReconfigureEngineInput!) { reconfigureEngine(id: $id, input: $i) { id name } }', { id: engine.id, i: { name, config } })).reconfigureEngine
            : (await gql('mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id name } }', { i: { name, plugin: plugin.name, config } })).registerEngine;
          await onSaved(saved);
          return true;
        },
      },
    ],
  });
}
