# sigil container image: `docker build -t sigil .`
# Runs `node dist/main.js` as an unprivileged user; ships views/ and migrations/ next to dist/.
# Configuration: mount a file and pass `--config` (or set SIGIL_CONFIG); see deploy/.

ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: compile TypeScript with the full dependency tree -------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script is the `node` devDependency, which downloads a
# second Node binary for npm scripts on hosts with an older Node; the image already has 22.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: production dependencies, compiled code, templates, migrations ----------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY views ./views
COPY migrations ./migrations
# The official image's unprivileged `node` user (uid/gid 1000). Nothing in /app is writable
# by it, so the root filesystem can be mounted read-only.
USER 1000:1000
# 5554 https, 5556 http behind a TLS proxy, 5558 telemetry (/metrics, /healthz, /readyz).
EXPOSE 5554 5556 5558
ENTRYPOINT ["node", "dist/main.js"]
CMD ["serve"]
