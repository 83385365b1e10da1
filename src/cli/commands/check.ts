// backup-gateway check: can this machine drive the gateway? Reachability, the key's scope, every engine's health.
import { type Command, enumOption } from '../command.ts';
import { CliError } from '../errors.ts';
import { formatTable, printJson } from '../output.ts';

const RANK: Record<string, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

interface EngineHealthView {
  name: string;
  plugin: string;
  health: { ok: boolean; version: string | null; message: string | null };
}

const check: Command = {
  words: ['check'],
  summary: "Check the gateway is reachable, the key's scope, and every engine's health.",
  options: {
    scope: { type: 'string', value: '<viewer|operator|admin>', description: 'Fail (exit 4) unless the key has at least this scope' },
  },
  details: 'Exit codes: 0 all good, 1 an engine is down, 3 the gateway is unreachable, 4 the key is refused or its scope too small.',
  async run(ctx) {
    const needed = enumOption(ctx.options, 'scope', ['VIEWER', 'OPERATOR', 'ADMIN']);
    const client = ctx.client();
    // Unreachable (3) and refused keys (4) end here with their own exit code.
    const { gatewayInfo } = await client.request<{ gatewayInfo: { version: string; actor: string; scope: string } }>('{ gatewayInfo { version actor scope } }');
    const { engines } = await client.request<{ engines: EngineHealthView[] }>('{ engines { name plugin health { ok version message } } }');
    const scopeOk = !needed || RANK[gatewayInfo.scope]! >= RANK[needed]!;
    const down = engines.filter((e) => !e.health.ok);
    if (ctx.json) {
      printJson(ctx.io, { gateway: { url: client.endpoint, version: gatewayInfo.version }, key: { ...gatewayInfo, version: undefined, scopeOk }, engines });
    } else {
      const rows: Array<Array<string | null>> = [
        ['gateway', 'ok', `${client.endpoint}, version ${gatewayInfo.version}`],
        ['key', scopeOk ? 'ok' : 'FAIL', `${gatewayInfo.actor}, scope ${gatewayInfo.scope}${needed ? ` (needs ${needed})` : ''}`],
        ...engines.map((e) => [`engine ${e.name}`, e.health.ok ? 'ok' : 'DOWN', e.health.ok ? `${e.plugin} ${e.health.version ?? ''}`.trim() : (e.health.message ?? 'unknown')]),
      ];
      ctx.io.stdout.write(formatTable(['CHECK', 'STATUS', 'DETAIL'], rows));
    }
    if (!scopeOk) throw new CliError('insufficient_scope', `The key has scope ${gatewayInfo.scope}; ${needed} is needed`, { type: 'auth' });
    if (down.length > 0) throw new CliError('engine_unreachable', `Engine(s) down: ${down.map((e) => e.name).join(', ')}`);
    return 0;
  },
};

export const checkCommands: Command[] = [check];
