// backup-gateway keys create|revoke|list
import { type Command, enumOption, requirePositional } from '../command.ts';
import { usage } from '../errors.ts';
import { formatTable, printJson } from '../output.ts';

interface ApiKeyView {
  id: string;
  name: string;
  scope: string;
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
const KEY_FIELDS = 'id name scope prefix createdBy createdAt lastUsedAt revokedAt';

const create: Command = {
  words: ['keys', 'create'],
  summary: 'Create an API key; it is printed once and never shown again.',
  args: '<name>',
  options: { scope: { type: 'string', value: '<viewer|operator|admin>', description: 'What the key may do (required)' } },
  async run(ctx) {
    const name = requirePositional(ctx, 0, '<name>', create);
    const scope = enumOption(ctx.options, 'scope', ['VIEWER', 'OPERATOR', 'ADMIN']);
    if (!scope) throw usage('--scope is required: viewer, operator or admin');
    const { createApiKey } = await ctx
      .client()
      .request<{ createApiKey: { key: string; apiKey: ApiKeyView } }>(`mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { ${KEY_FIELDS} } } }`, {
        i: { name, scope },
      });
    if (ctx.json) printJson(ctx.io, createApiKey);
    else ctx.io.stdout.write(`${createApiKey.key}\n`);
    ctx.io.stderr.write(`Created ${scope} key "${name}" (${createApiKey.apiKey.id}); store it now, it is not shown again.\n`);
    return 0;
  },
};

const revoke: Command = {
  words: ['keys', 'revoke'],
  summary: 'Revoke an API key.',
  args: '<key-id>',
  async run(ctx) {
    const id = requirePositional(ctx, 0, '<key-id>', revoke);
    await ctx.client().request('mutation($id: ID!) { revokeApiKey(id: $id) }', { id });
    if (ctx.json) printJson(ctx.io, { revoked: true, id });
    else ctx.io.stdout.write(`Revoked key ${id}\n`);
    return 0;
  },
};

const list: Command = {
  words: ['keys', 'list'],
  summary: 'List API keys (never their values).',
  async run(ctx) {
    const { apiKeys } = await ctx.client().request<{ apiKeys: ApiKeyView[] }>(`{ apiKeys { ${KEY_FIELDS} } }`);
    if (ctx.json) printJson(ctx.io, apiKeys);
    else {
      ctx.io.stdout.write(
        formatTable(
          ['ID', 'NAME', 'SCOPE', 'PREFIX', 'LAST USED', 'REVOKED'],
          apiKeys.map((k) => [k.id, k.name, k.scope, k.prefix, k.lastUsedAt, k.revokedAt]),
        ),
      );
    }
    return 0;
  },
};

export const keyCommands: Command[] = [create, revoke, list];
