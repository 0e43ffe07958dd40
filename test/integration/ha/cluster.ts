import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput } from '../../../src/config/schema.js';
import { hashPassword } from '../../../src/connectors/static/index.js';
import { ensureDevTls } from '../../../src/tls/index.js';
import { spawnSigil, type Spawned } from '../../support/cli.js';
import { Client } from '../../support/http-client.js';
import {
  kubeloginTokens,
  withRefreshToken,
  type RefreshableTokens,
} from '../../support/oidc-flow.js';
import { freePort } from '../../support/net.js';
import { ALICE } from '../../support/sigil.js';
import { startProxy, type Proxy } from './proxy.js';

/**
 * N real sigil processes (`node dist/main.js serve --config`) on one PostgreSQL database,
 * each serving plain HTTP with `web.proxy: true`, behind the test's TLS round-robin proxy,
 * which is the issuer's origin (`https://localhost:<proxy port>`, certificate from a test CA).
 */
export interface Cluster {
  readonly issuer: string;
  readonly ca: string;
  readonly caFile: string;
  readonly proxy: Proxy;
  readonly ports: readonly number[];
  readonly replicas: (Spawned | undefined)[];
  readonly configFile: (i: number) => string;
  /** A cookie-keeping client of the issuer (through the proxy). */
  client(): Client;
  /** A client straight to replica i (no proxy): readiness and per-replica JWKS. */
  direct(i: number): Client;
  start(i: number): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly dbUrl: string;
  readonly replicas?: number;
  readonly config?: Partial<ConfigInput>;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-ha-'));
  const tls = await ensureDevTls(dir);
  const n = opts.replicas ?? 2;
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const proxy = await startProxy({
    cert: readFileSync(tls.certFile, 'utf8'),
    key: readFileSync(tls.keyFile, 'utf8'),
    backends: () => ports,
  });
  const issuer = `https://localhost:${proxy.port}`;
  const hash = await hashPassword(ALICE.password);
  const files = ports.map((port, i) => {
    const config: ConfigInput = {
      issuer,
      storage: {
        type: 'postgres',
        config: { url: opts.dbUrl, connectionTimeout: '2s', statementTimeout: '5s' },
      },
      web: { http: `127.0.0.1:${port}`, proxy: true },
      logger: { level: 'info', format: 'json' },
      enablePasswordDB: true,
      staticPasswords: [
        {
          email: ALICE.email,
          hash,
          username: ALICE.username,
          userID: ALICE.userID,
          groups: ['developers'],
        },
      ],
      staticClients: [{ id: 'kubectl', public: true, name: 'kubectl' }],
      ...opts.config,
    };
    const file = join(dir, `replica-${i}.yaml`);
    writeFileSync(file, JSON.stringify(config, null, 2)); // JSON is YAML
    return file;
  });
  const replicas: (Spawned | undefined)[] = ports.map(() => undefined);
  const start = async (i: number) => {
    const p = spawnSigil(['serve', '--config', files[i]!]);
    replicas[i] = p;
    await p.waitFor(/"msg":"sigil listening"/, 60_000);
  };
  const ca = readFileSync(tls.caFile, 'utf8');
  // Replicas start together: migrations and the first key set are taken under advisory locks.
  await Promise.all(ports.map((_, i) => start(i)));
  return {
    issuer,
    ca,
    caFile: tls.caFile,
    proxy,
    ports,
    replicas,
    configFile: (i) => files[i]!,
    client: () => new Client(issuer, { ca }),
    // One connection per request: a replica closing an idle keep-alive socket races with reuse.
    direct: (i) =>
      new Client(`http://127.0.0.1:${ports[i]!}`, { headers: { connection: 'close' } }),
    start,
    async close() {
      await Promise.all(
        replicas.map(async (r) => {
          await r?.stop('SIGTERM');
        }),
      );
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A kubelogin-style login through the proxy: authorization code + PKCE on a loopback redirect. */
export async function login(c: Cluster, client: Client = c.client()): Promise<RefreshableTokens> {
  return withRefreshToken(await kubeloginTokens(client, ALICE));
}
