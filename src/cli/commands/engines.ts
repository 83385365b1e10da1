// backup-gateway engines list|add|remove
import { type Command, requirePositional, listOption, stringOption } from '../command.ts';
import { usage } from '../errors.ts';
import { formatCount, formatTable, printJson } from '../output.ts';
import { resolveEngineId } from '../resolve.ts';

interface EngineRow {
  id: string;
  name: string;
  plugin: string;
  config: Record<string, unknown>;
  createdAt: string;
  health: { ok: boolean; version: string | null; message: string | null };
}

const list: Command = {
  words: ['engines', 'list'],
  summary: 'List registered engines with their health and collections.',
  async run(ctx) {
    const client = ctx.client();
    const { engines } = await client.request<{ engines: EngineRow[] }>('{ engines { id name plugin config createdAt health { ok version message } } }');
    // Collections one engine at a time: an unreachable engine must not hide the others.
    const withCollections = await Promise.all(
      engines.map(async (engine) => {
        try {
          // A page at a time: every collection, however many the engine holds.
          type Listed = { name: string; documentCount: number | null; locked: boolean };
          const collections: Listed[] = [];
          for (let after: string | null = null; ;) {
            const data: { engine: { collections: Listed[] } | null } = await client.request(
              'query($id: ID!, $after: String) { engine(id: $id) { collections(first: 1000, after: $after) { name documentCount locked } } }',
              { id: engine.id, after },
            );
            const page = data.engine?.collections ?? [];
            collections.push(...page);
            if (page.length < 1000) break;
            after = page.at(-1)!.name;
          }
          return { ...engine, collections };
        } catch {
          return { ...engine, collections: null };
        }
      }),
    );
    if (ctx.json) {
      printJson(ctx.io, withCollections);
      return 0;
    }
    ctx.io.stdout.write(
      formatTable(
        ['NAME', 'PLUGIN', 'HEALTH', 'VERSION', 'COLLECTIONS', 'ID'],
        withCollections.map((e) => [
          e.name,
          e.plugin,
          e.health.ok ? 'ok' : `down: ${e.health.message ?? 'unknown'}`,
          e.health.version,
          e.collections === null ? '?' : e.collections.map((c) => `${c.name} (${formatCount(c.documentCount)}${c.locked ? ', locked' : ''})`).join(', ') || 'none',
          e.id,
        ]),
      ),
    );
    return 0;
  },
};

const add: Command = {
  words: ['engines', 'add'],
  summary: 'Register an engine.',
  args: '<name>',
  options: {
    plugin: { type: 'string', value: '<plugin>', description: 'Plugin name, e.g. meilisearch (required)' },
    config: { type: 'string', value: '<json>', description: 'The whole config as a JSON object' },
    set: { type: 'string', multiple: true, value: '<key=value>', description: 'One config key; the value is parsed as JSON when it is JSON' },
  },
  details: 'Example: backup-gateway engines add local --plugin meilisearch --set url=http://127.0.0.1:7700 --set apiKey=$MEILI_KEY',
  async run(ctx) {
    const name = requirePositional(ctx, 0, '<name>', add);
    const plugin = stringOption(ctx.options, 'plugin');
    if (!plugin) throw usage('--plugin is required (see `backup-gateway engines add --help`)');
    const config = parseConfig(stringOption(ctx.options, 'config'), listOption(ctx.options, 'set', false));
    const { registerEngine } = await ctx
      .client()
      .request<{ registerEngine: EngineRow }>(
        'mutation($i: RegisterEngineInput!) { registerEngine(input: $i) { id name plugin config createdAt health { ok version message } } }',
        { i: { name, plugin, config } },
      );
    if (ctx.json) printJson(ctx.io, registerEngine);
    else {
      const h = registerEngine.health;
      ctx.io.stdout.write(`Registered engine ${registerEngine.name} (${registerEngine.id}); health: ${h.ok ? `ok, version ${h.version ?? 'unknown'}` : `down: ${h.message}`}\n`);
    }
    return 0;
  },
};

const remove: Command = {
  words: ['engines', 'remove'],
  summary: 'Remove an engine (its backups stay in the catalog).',
  args: '<name|id>',
  async run(ctx) {
    const client = ctx.client();
    const id = await resolveEngineId(client, requirePositional(ctx, 0, '<name|id>', remove));
    await client.request('mutation($id: ID!) { removeEngine(id: $id) }', { id });
    if (ctx.json) printJson(ctx.io, { removed: true, id });
    else ctx.io.stdout.write(`Removed engine ${id}\n`);
    return 0;
  },
};

function parseConfig(json: string | undefined, sets: string[]): Record<string, unknown> {
  let config: Record<string, unknown> = {};
  if (json !== undefined) {
    try {
      config = JSON.parse(json) as Record<string, unknown>;
    } catch {
      throw usage('--config is not valid JSON');
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw usage('--config must be a JSON object');
  }
  for (const pair of sets) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`--set expects key=value (got "${pair}")`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    config[pair.slice(0, eq)] = value;
  }
  return config;
}

export const engineCommands: Command[] = [list, add, remove];
