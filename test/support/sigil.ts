import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { inject } from 'vitest';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.js';
import { deepFreeze } from '../../src/config/load.js';
import { hashPassword } from '../../src/connectors/static/index.js';
import { createLogger } from '../../src/log.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { ensureDevTls } from '../../src/tls/index.js';
import { basicAuth, Client } from './http-client.js';
import { freePort } from './net.js';
import { createTestDatabase } from './postgres.js';
import './services.js';

export const ALICE = {
  username: 'alice',
  email: 'alice@example.com',
  password: 'correct horse battery staple',
  userID: 'b9d6f7a4-5b8e-4c1e-9d0f-1a2b3c4d5e6f',
};

export interface TestSigil {
  server: RunningServer;
  issuer: string;
  ca: string;
  config: Config;
  /** Every log line the server wrote, as parsed JSON. */
  logs: Record<string, unknown>[];
  rawLogs: () => string;
  client(): Client;
  close(): Promise<void>;
}

export type Backend = 'pglite' | 'postgres';

/**
 * Starts a real sigil in this process: real TLS (a generated CA), real storage (a fresh
 * PostgreSQL database or a fresh PGlite directory), static users and the given extras.
 */
export interface TestSigilOptions {
  /**
   * Use this PostgreSQL database instead of a fresh one (backend `postgres`), e.g. to run two
   * replicas on one database. It is not dropped on close.
   */
  databaseUrl?: string;
  /** Merged into `web` (which `extra.web` would replace whole), e.g. `{ proxy: true }`. */
  web?: Partial<NonNullable<ConfigInput['web']>>;
  /** The issuer's path, e.g. `/dex` (Dex's usual issuer); the default is the root. */
  issuerPath?: string;
  /** Wraps the server's database (e.g. countingDb, to count statements per operation). */
  wrapDb?: ServerOptions['wrapDb'];
}

const WEB_SECRET = 'web-secret-value-123';

/** Secrets of the fixtures that must never appear in a log line; close() checks. */
export const FIXTURE_SECRETS = [ALICE.password, WEB_SECRET] as const;

type StaticClientInput = NonNullable<ConfigInput['staticClients']>[number];
type StaticPasswordInput = NonNullable<ConfigInput['staticPasswords']>[number];

/** ALICE as a static user (developers, viewers); `over` replaces keys (name, groups). */
export async function aliceEntry(
  over: Partial<StaticPasswordInput> = {},
): Promise<StaticPasswordInput> {
  return {
    email: ALICE.email,
    hash: await hashPassword(ALICE.password),
    username: ALICE.username,
    userID: ALICE.userID,
    name: 'Alice Liddell',
    groups: ['developers', 'viewers'],
    ...over,
  };
}

/** The kubelogin-style public client of the fixtures. */
export const KUBECTL_CLIENT: StaticClientInput = { id: 'kubectl', public: true, name: 'kubectl' };

/** The confidential web client of the fixtures; its secret is one of FIXTURE_SECRETS. */
export const WEB_CLIENT: StaticClientInput = {
  id: 'web',
  secret: WEB_SECRET,
  redirectURIs: ['https://app.example.com/callback'],
};

/** The web client as it logs in: for authorize(), codeGrant() and refreshGrant(). */
export const WEB_LOGIN = {
  clientId: 'web',
  clientSecret: WEB_SECRET,
  redirectUri: 'https://app.example.com/callback',
} as const;

/** The web client's HTTP Basic header, for its other endpoints (introspection, revocation). */
export const WEB_BASIC = { authorization: basicAuth(WEB_LOGIN.clientId, WEB_SECRET) } as const;

/** A confidential client with the password grant, as a CI job uses it; `over` replaces keys. */
export function passwordGrantClient(
  ci: { id: string; secret: string },
  over: Partial<StaticClientInput> = {},
): StaticClientInput {
  return {
    id: ci.id,
    secret: ci.secret,
    redirectURIs: ['https://ci.example.com/cb'],
    passwordGrant: true,
    ...over,
  };
}

const auditFlushers = new Set<() => Promise<void>>();

/**
 * Writes the audit rows every running test sigil of this process still has queued (audit
 * rows are batched, up to 1 s late; replicas share one table): test helpers that read
 * audit_events call it first.
 */
export async function flushAllAudit(): Promise<void> {
  await Promise.all([...auditFlushers].map((f) => f()));
}

export async function startTestSigil(
  backend: Backend,
  extra: Partial<ConfigInput> = {},
  opts: TestSigilOptions = {},
): Promise<TestSigil> {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-test-'));
  const tls = await ensureDevTls(dir);
  const port = await freePort();
  const issuer = `https://localhost:${port}${opts.issuerPath ?? ''}`;
  let drop = async () => {};
  let storage: ConfigInput['storage'];
  if (backend === 'postgres' && opts.databaseUrl !== undefined) {
    storage = { type: 'postgres', config: { url: opts.databaseUrl } };
  } else if (backend === 'postgres') {
    const db = await createTestDatabase(inject('pgUrl'));
    drop = db.drop;
    storage = { type: 'postgres', config: { url: db.url } };
  } else {
    storage = { type: 'pglite', config: { dataDir: join(dir, 'data') } };
  }
  const input: ConfigInput = {
    issuer,
    storage,
    web: {
      https: `127.0.0.1:${port}`,
      tlsCert: tls.certFile,
      tlsKey: tls.keyFile,
      tlsCA: tls.caFile,
      ...opts.web,
    },
    logger: { level: 'debug', format: 'json' },
    enablePasswordDB: true,
    staticPasswords: [await aliceEntry()],
    staticClients: [KUBECTL_CLIENT, { ...WEB_CLIENT, name: 'Web App', skipApprovalScreen: false }],
    ...extra,
  };
  const config = deepFreeze(configSchema.parse(input));
  const sink = new PassThrough();
  const chunks: string[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const log = createLogger({ level: 'debug', format: 'json', destination: sink });
  const server = await startServer({
    config,
    log,
    drainMs: 1000,
    ...(opts.wrapDb === undefined ? {} : { wrapDb: opts.wrapDb }),
  });
  const flushAudit = () => server.flushAudit();
  auditFlushers.add(flushAudit);
  const ca = readFileSync(tls.caFile, 'utf8');
  const rawLogs = () => chunks.join('');
  return {
    server,
    issuer,
    ca,
    config,
    get logs() {
      return rawLogs()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    rawLogs,
    client: () => new Client(issuer, { ca }),
    async close() {
      auditFlushers.delete(flushAudit);
      await server.close();
      const leaked = FIXTURE_SECRETS.filter((secret) => rawLogs().includes(secret));
      await drop();
      rmSync(dir, { recursive: true, force: true });
      if (leaked.length > 0)
        throw new Error(`a log line of this sigil contains a fixture secret (${leaked.length})`);
    },
  };
}
