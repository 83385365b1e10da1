#!/bin/sh
# Stand-in for Prisma's native schema-engine, which cannot be downloaded on offline machines.
# `prisma generate` only checks that this file exists; anything that really runs it gets this message.
echo "schema-engine is not available offline: apply migrations with the gateway (src/db/migrate.ts)," >&2
echo "write new ones with 'npm run db:new -- <name>' (see src/db/README.md)." >&2
exit 1
