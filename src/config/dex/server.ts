import type { Findings } from './tree.js';
import { isSet, objectAt, take, type JsonObject } from './tree.js';

/** Dex's server-side sections (storage, web, telemetry, grpc, expiry, logger, signer, sessions, mfa). */

const IMPORT = '`sigil import dex` to bring its data over (docs/dex-import.md)';

const STORAGE_TYPES: Record<string, string> = {
  sqlite3: `use \`pglite\` for an embedded database, or ${IMPORT}`,
  memory:
    "Dex's in-memory storage forgets everything on restart: use `pglite` (embedded, kept in its dataDir) or `postgres`",
  mysql: 'sigil stores its data in PostgreSQL: use `postgres` (or `pglite`, embedded)',
  etcd: 'sigil stores its data in PostgreSQL: use `postgres` (or `pglite`, embedded)',
  kubernetes: 'sigil stores its data in PostgreSQL: use `postgres` (or `pglite`, embedded)',
};

export function adaptStorage(tree: JsonObject, found: Findings): void {
  const storage = objectAt(tree, 'storage');
  if (storage === undefined) return;
  const type = storage['type'];
  if (typeof type === 'string' && type in STORAGE_TYPES) {
    found.refuse('storage.type', `${type}: ${STORAGE_TYPES[type]}`);
    delete tree['storage'];
    return;
  }
  const c = objectAt(storage, 'config');
  if (type !== 'postgres' || c === undefined) return;
  // Dex: connectionTimeout in seconds (a number); sigil: a duration.
  if (typeof c['connectionTimeout'] === 'number')
    c['connectionTimeout'] = `${c['connectionTimeout']}s`;
  // Dex: `host: db:5432` is host and port in one.
  const host = c['host'];
  const m = typeof host === 'string' ? /^([^:[\]]+):(\d{1,5})$/.exec(host) : null;
  if (m !== null && c['port'] === undefined) {
    c['host'] = m[1] ?? '';
    c['port'] = Number(m[2]);
  }
  for (const key of ['maxIdleConns', 'connMaxLifetime'])
    if (take(c, key) !== undefined)
      found.note(
        `storage.config.${key}`,
        'not used: sigil keeps at most maxOpenConns connections per replica and closes idle ones itself',
      );
  const ssl = objectAt(c, 'ssl');
  for (const key of ['keyFile', 'certFile'])
    if (ssl !== undefined && isSet(take(ssl, key)))
      found.refuse(
        `storage.config.ssl.${key}`,
        'client certificates to PostgreSQL are not supported yet: authenticate with user and password (or passwordFile)',
      );
}

export function adaptWeb(tree: JsonObject, found: Findings): void {
  const web = objectAt(tree, 'web');
  if (web === undefined) return;
  if (isSet(take(web, 'headers')))
    found.note(
      'web.headers',
      'not applied: sigil sends its own security headers on every answer (a strict Content-Security-Policy, X-Frame-Options DENY, X-Content-Type-Options nosniff, HSTS over https)',
    );
  const min = take(web, 'tlsMinVersion');
  if (min === '1.3' || min === 1.3)
    found.refuse(
      'web.tlsMinVersion',
      "1.3 only is not supported yet: sigil's https listener accepts TLS 1.2 and 1.3; require 1.3 at a TLS proxy in front of it",
    );
  const max = take(web, 'tlsMaxVersion');
  if (max === '1.2' || max === 1.2)
    found.note('web.tlsMaxVersion', 'not applied: sigil offers TLS 1.3 as well as 1.2');
  for (const key of ['allowedOrigins', 'allowedHeaders'])
    if (isSet(take(web, key)))
      found.refuse(
        `web.${key}`,
        'cross-origin (CORS) calls from browser apps are not supported: remove it (kubectl, kubelogin and server-side apps do not use CORS)',
      );
  if (isSet(take(web, 'clientRemoteIP')))
    found.refuse(
      'web.clientRemoteIP',
      'set `web.proxy: true` and `web.proxyHops` (the number of proxies in front of sigil) instead: sigil takes the client address from X-Forwarded-For, that many entries from the right',
    );
}

export function adaptTelemetryGrpc(tree: JsonObject, found: Findings): void {
  const telemetry = objectAt(tree, 'telemetry');
  if (telemetry !== undefined && take(telemetry, 'enableProfiling') === true)
    found.note('telemetry.enableProfiling', 'not available: sigil has no profiling endpoints');
  if (isSet(take(tree, 'grpc')))
    found.refuse(
      'grpc',
      "sigil has no gRPC API: remove grpc; clients come from staticClients, and people, sessions and keys are managed through sigil's admin API (/api/v1) and the `sigil` command",
    );
}

export function adaptExpiryLogger(tree: JsonObject, found: Findings): void {
  const refresh = objectAt(objectAt(tree, 'expiry') ?? {}, 'refreshTokens');
  if (refresh !== undefined && take(refresh, 'disableRotation') === true)
    found.note(
      'expiry.refreshTokens.disableRotation',
      'not applied: sigil rotates refresh tokens at every use (a retried request keeps working within reuseInterval); kubelogin and oidc-agent keep the new token',
    );
  const logger = objectAt(tree, 'logger');
  if (logger === undefined) return;
  // Dex's levels are Go's slog names, in any case.
  if (typeof logger['level'] === 'string') logger['level'] = logger['level'].toLowerCase();
  if (isSet(take(logger, 'excludeFields')))
    found.note(
      'logger.excludeFields',
      "not applied: sigil's log lines carry request data (method, path, status), never email, names or groups; usernames are in the audit trail (see `audit`)",
    );
}

/** Dex's `signer` (2.45+): local keys become `keys`; Vault is refused. */
export function adaptSigner(tree: JsonObject, found: Findings): void {
  const signer = take(tree, 'signer');
  if (
    signer === undefined ||
    signer === null ||
    typeof signer !== 'object' ||
    Array.isArray(signer)
  )
    return;
  if (signer['type'] !== 'local') {
    found.refuse(
      'signer.type',
      'sigil keeps its signing keys in its database (sealed with keys.encryptionSecret): remove signer (Vault is not supported)',
    );
    return;
  }
  const c = objectAt(signer, 'config') ?? {};
  const keys = objectAt(tree, 'keys') ?? {};
  if (c['keysRotationPeriod'] !== undefined) keys['rotationPeriod'] ??= c['keysRotationPeriod'];
  if (c['algorithm'] !== undefined) keys['algorithm'] ??= c['algorithm'];
  if (Object.keys(keys).length > 0) tree['keys'] = keys;
}

export function adaptSessionsMfa(tree: JsonObject, found: Findings): void {
  if (isSet(take(tree, 'sessions')))
    found.note(
      'sessions',
      "not applied: sigil's browser session lasts expiry.sessions (default 24h); single sign-on is on for every client",
    );
  const mfa = objectAt(tree, 'mfa');
  if (mfa === undefined) return;
  for (const key of ['authenticators', 'defaultMFAChain'])
    if (isSet(take(mfa, key)))
      found.refuse(
        `mfa.${key}`,
        "Dex's MFA authenticators are not read: configure sigil's second factor under `mfa` (docs/config.md)",
      );
  if (Object.keys(mfa).length === 0) delete tree['mfa'];
}
