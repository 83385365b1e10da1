// backup-gateway serve: `npm start` with flags, and a gateway dump imported before it serves.
import { type Command, stringOption } from '../command.ts';

/** Flags that stand for an environment variable of the gateway (README, Configuration). */
const ENV_FLAGS = {
  port: 'PORT',
  host: 'HOST',
  'data-dir': 'GATEWAY_DATA_DIR',
  'database-url': 'DATABASE_URL',
  'dumps-dir': 'GATEWAY_DUMPS_DIR',
} as const;

const serve: Command = {
  words: ['serve'],
  summary: 'Run the gateway (the same as `npm start`), optionally importing a gateway dump first.',
  options: {
    port: { type: 'string', value: '<port>', description: 'HTTP port (default: $PORT or 4000)' },
    host: { type: 'string', value: '<host>', description: 'Interface to listen on (default: $HOST or 127.0.0.1)' },
    'data-dir': { type: 'string', value: '<dir>', description: 'Data directory (default: $GATEWAY_DATA_DIR or ./data)' },
    'database-url': { type: 'string', value: '<url>', description: 'postgresql://… instead of the embedded database (default: $DATABASE_URL)' },
    'dumps-dir': { type: 'string', value: '<dir>', description: 'Where createGatewayDump writes (default: $GATEWAY_DUMPS_DIR or ./dumps)' },
    'import-dump': { type: 'string', value: '<file>', description: 'Import this gateway dump before serving; the database must be empty' },
    'ignore-dump-if-db-exists': { type: 'boolean', description: 'With --import-dump: a database that holds data is kept and the dump skipped' },
    'ignore-missing-dump': { type: 'boolean', description: 'With --import-dump: a missing file is not an error' },
    'dump-secret-key': {
      type: 'string',
      value: '<key>',
      description: "The key the dump's secrets were encrypted for (default: $GATEWAY_DUMP_SECRET_KEY, else GATEWAY_SECRET_KEY)",
    },
  },
  details: `Every other setting comes from the environment (GATEWAY_MASTER_KEY, GATEWAY_SECRET_KEY, …): see the README.
Moving from the embedded database to PostgreSQL:
  backup-gateway dump create --secrets encrypt --target-secret-key "$NEW_SECRET_KEY"
  GATEWAY_SECRET_KEY="$NEW_SECRET_KEY" backup-gateway serve --database-url postgresql://… --import-dump dumps/gateway-….jsonl.gz`,
  async run(ctx) {
    for (const [flag, variable] of Object.entries(ENV_FLAGS)) {
      const value = stringOption(ctx.options, flag);
      if (value !== undefined) process.env[variable] = value;
    }
    const file = stringOption(ctx.options, 'import-dump');
    if (file !== undefined) {
      // Loaded here: the database modules are heavy, and every other command talks to a gateway over HTTP.
      const [{ loadConfig }, { importDumpAtStart }, { createLogger, Redactor }] = await Promise.all([
        import('../../config.ts'),
        import('../../gateway-dump/startup.ts'),
        import('../../log.ts'),
      ]);
      const config = loadConfig(process.env);
      const dumpSecretKey = stringOption(ctx.options, 'dump-secret-key') ?? process.env.GATEWAY_DUMP_SECRET_KEY;
      const redactor = new Redactor();
      for (const secret of [config.masterKey, config.secretKey, dumpSecretKey]) redactor.add(secret);
      const logger = createLogger({ level: config.logLevel, redactor }).child({ component: 'gateway-dump' });
      await importDumpAtStart(
        config,
        {
          file,
          ignoreIfDatabaseExists: ctx.options['ignore-dump-if-db-exists'] === true,
          ignoreMissing: ctx.options['ignore-missing-dump'] === true,
          dumpSecretKey: dumpSecretKey ?? null,
        },
        logger,
      );
    }
    // src/main.ts starts the gateway when loaded, reading the environment set above, and owns shutdown.
    await import('../../main.ts');
    return 0;
  },
};

export const serveCommands: Command[] = [serve];
