// Prisma CLI configuration. The gateway itself never reads this file: it applies migrations with its own
// runner (src/db/migrate.ts). DATABASE_URL is only needed by users who run stock `prisma migrate` commands.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Not env('DATABASE_URL'): that throws when the variable is unset and breaks `prisma generate`.
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
