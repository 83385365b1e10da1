# backup-gateway container image. Build: `docker build -t backup-gateway .`; run: see compose.yaml and the README
# ("Container image"). Two stages: the first installs everything and compiles dist/, the last holds only the
# production dependencies, the compiled gateway, its migrations and dashboard files — no tsx, no TypeScript.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/ scripts/
COPY prisma/ prisma/
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
COPY plugins/ plugins/
# `prisma generate` (offline; `prepare` skipped it above, before the sources were there), then tsc into dist/.
RUN node scripts/prisma-generate.mjs && npm run build

FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    GATEWAY_DATA_DIR=/data \
    GATEWAY_DUMPS_DIR=/data/dumps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/build.mjs scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/ dist/
COPY bin/ bin/
COPY prisma/schema.prisma prisma/
COPY prisma/migrations/ prisma/migrations/
COPY src/dashboard/static/ src/dashboard/static/
# A non-root user owns the data volume (and the embedded database's template cache); the code stays root's.
RUN useradd --system --uid 10001 --home-dir /data gateway \
    && mkdir -p /data node_modules/.cache/backup-gateway \
    && chown gateway /data node_modules/.cache/backup-gateway \
    && chmod 0700 /data
USER gateway
VOLUME ["/data"]
EXPOSE 4000
# The gateway ends its jobs cleanly on SIGTERM (GATEWAY_SHUTDOWN_GRACE_MS, default 10 s): give `docker stop` a
# longer timeout than that, e.g. `--stop-timeout 30` (compose: stop_grace_period).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Plain node on the compiled build (what `npm start` runs), PID 1 receives the signals itself.
CMD ["node", "dist/src/main.js"]
