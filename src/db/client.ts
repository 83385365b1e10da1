// The generated Prisma client (src/db/generated, written by `npm install` / scripts/prisma-generate.mjs),
// re-exported so the rest of the code never imports the generated folder: PrismaClient, the Prisma
// namespace, the enums (JobStatus, BackupStatus, ...) and the model types (Engine, Job, Backup, ...).
export * from './generated/client.ts';
