// backup-gateway dump create: the gateway's own state in one file (see src/gateway-dump/).
import { type Command, enumOption, type CommandContext, stringOption } from '../command.ts';
import { usage } from '../errors.ts';
import { formatBytes, formatTable, printJson } from '../output.ts';

interface GatewayDumpView {
  fileName: string;
  path: string;
  bytes: number;
  sha256: string;
  createdAt: string;
  secrets: string;
  secretValues: number;
  tables: Array<{ name: string; rows: number }>;
}

const create: Command = {
  words: ['dump', 'create'],
  summary: "Write a dump of the gateway's own state (engines, catalog, jobs, schedules, webhooks, keys): by the running gateway, or --offline.",
  options: {
    secrets: { type: 'string', value: '<omit|encrypt>', description: 'Leave secrets out (default) or encrypt them for --target-secret-key' },
    'target-secret-key': {
      type: 'string',
      value: '<key>',
      description: 'GATEWAY_SECRET_KEY of the gateway that will import it (default: $GATEWAY_DUMP_TARGET_KEY)',
    },
    offline: { type: 'boolean', description: 'Read the database directly (the gateway stopped) instead of asking a running gateway' },
    'data-dir': { type: 'string', value: '<dir>', description: '--offline: data directory (default: $GATEWAY_DATA_DIR or ./data)' },
    'database-url': { type: 'string', value: '<url>', description: '--offline: postgresql://… (default: $DATABASE_URL)' },
    'dumps-dir': { type: 'string', value: '<dir>', description: '--offline: where to write (default: $GATEWAY_DUMPS_DIR or ./dumps)' },
  },
  details: `A running gateway writes into its own dumps directory (serve --dumps-dir, GATEWAY_DUMPS_DIR; default ./dumps).
With --offline the CLI opens the database itself (GATEWAY_SECRET_KEY or the data dir's secret.key opens the secrets).
Import it into a new gateway, e.g. one on PostgreSQL:
  GATEWAY_SECRET_KEY=<key> backup-gateway serve --database-url postgresql://… --import-dump dumps/gateway-….jsonl.gz`,
  async run(ctx) {
    const secrets = enumOption(ctx.options, 'secrets', ['OMIT', 'ENCRYPT']) ?? 'OMIT';
    const targetSecretKey = stringOption(ctx.options, 'target-secret-key') ?? ctx.io.env.GATEWAY_DUMP_TARGET_KEY;
    if (secrets === 'ENCRYPT' && !targetSecretKey) throw usage('--secrets encrypt needs --target-secret-key (or $GATEWAY_DUMP_TARGET_KEY)');
    const dump =
      ctx.options.offline === true
        ? await createOffline(ctx, secrets === 'ENCRYPT' ? targetSecretKey! : null)
        : (
            await ctx
              .client()
              .request<{ createGatewayDump: GatewayDumpView }>(
                `mutation($i: CreateGatewayDumpInput) { createGatewayDump(input: $i) { fileName path bytes sha256 createdAt secrets secretValues tables { name rows } } }`,
                { i: { secrets, ...(secrets === 'ENCRYPT' ? { targetSecretKey } : {}) } },
              )
          ).createGatewayDump;
    if (ctx.json) {
      printJson(ctx.io, dump);
      return 0;
    }
    ctx.io.stdout.write(`Wrote ${dump.path} (${formatBytes(dump.bytes)}, sha256 ${dump.sha256})\n`);
    ctx.io.stdout.write(`Secrets: ${dump.secrets === 'OMIT' ? `left out (${dump.secretValues})` : `encrypted for the target key (${dump.secretValues})`}\n\n`);
    ctx.io.stdout.write(
      formatTable(
        ['TABLE', 'ROWS'],
        dump.tables.map((t) => [t.name, t.rows]),
      ),
    );
    return 0;
  },
};

/** The database opened here, as the gateway would open it (the embedded one is locked while a gateway runs). */
async function createOffline(ctx: CommandContext, targetSecretKey: string | null): Promise<GatewayDumpView> {
  const [{ loadConfig }, { openDatabase }, { createGatewayDump }, { gatewaySecretBox }, { AuditLog }] = await Promise.all([
    import('../../config.ts'),
    import('../../db/open.ts'),
    import('../../gateway-dump/create.ts'),
    import('../../gateway-dump/secrets.ts'),
    import('../../catalog/audit.ts'),
  ]);
  const env = { ...ctx.io.env };
  for (const [flag, variable] of [
    ['data-dir', 'GATEWAY_DATA_DIR'],
    ['database-url', 'DATABASE_URL'],
    ['dumps-dir', 'GATEWAY_DUMPS_DIR'],
  ] as const) {
    const value = stringOption(ctx.options, flag);
    if (value !== undefined) env[variable] = value;
  }
  const config = loadConfig(env);
  const db = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, sharedBuffers: config.embeddedSharedBuffers });
  try {
    const dump = await createGatewayDump(
      { prisma: db.prisma, secretBox: await gatewaySecretBox(config), databaseKind: db.kind },
      { dumpsDir: config.dumpsDir, secrets: targetSecretKey ? 'encrypt' : 'omit', targetSecretKey },
    );
    await new AuditLog(db.prisma).record('cli', 'gatewayDump.create', 'gatewayDump', dump.fileName, { secrets: dump.secrets, bytes: dump.bytes, offline: true });
    return { ...dump, createdAt: dump.createdAt.toISOString(), secrets: dump.secrets === 'omit' ? 'OMIT' : 'ENCRYPT' };
  } finally {
    await db.close();
  }
}

export const dumpCommands: Command[] = [create];
