import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, stopChild } from '../../test/support/process.js';
import { onCleanup, spawnNode, tsArgs, withChildren } from './children.js';
import type { Endpoints } from './flows.js';
import type { Target } from './load.js';
import type { Watched } from './measure.js';
import { freePort } from '../../test/support/net.js';
import { waitUntil } from '../../test/support/poll.js';
import { createDatabase, type OwnPostgres } from '../../test/support/postgres.js';
import type { Slapd } from '../../test/support/slapd.js';
import { startPostgres, statementCounts } from './postgres.js';
import { getJson, startSigil, writeSigilConfig, type RunningSigil } from './sigil.js';
import { directoryCounts, startBenchSlapd } from './slapd.js';
import { makeTls, type BenchTls } from './tls.js';

/** Everything the measurements run against, started on 127.0.0.1 and stopped at the end. */
export interface Environment {
  work: string;
  tls: BenchTls;
  ca: string;
  pg: OwnPostgres;
  slapd: Slapd;
  /** The issuer's port (the first sigil process listens on it). */
  issuerPort: number;
  /** Starts a sigil process on `db` listening on `port`; stopped at the end if still running. */
  startSigil(
    db: string,
    port: number,
    name: string,
    opts?: {
      nodeArgs?: string[];
      env?: Record<string, string>;
      /** Top-level config sections that replace the bench's (e.g. `keys`). */
      config?: Record<string, unknown>;
    },
  ): Promise<RunningSigil>;
  backends: Watched[];
  /** The log file every sigil process of the run appends to. */
  logFile: string;
  /** SQL statements in the sigil database and slapd's operations so far. */
  counters(): Promise<Record<string, number>>;
}

export const SCOPE = 'openid profile email groups offline_access';

export async function environment(work: string, users: number): Promise<Environment> {
  const tls = makeTls(work);
  const ca = readFileSync(tls.caFile, 'utf8');
  const pg = await startPostgres();
  onCleanup(() => {
    pg.stop();
  });
  const slapd = await startBenchSlapd(join(work, 'slapd'), tls, users);
  onCleanup(() => slapd.stop());
  await createDatabase(pg.url, 'sigil');
  await createDatabase(pg.url, 'limits');
  const issuerPort = await freePort();
  const logFile = join(work, 'sigil.log');
  return {
    work,
    tls,
    ca,
    pg,
    slapd,
    issuerPort,
    logFile,
    counters: async () => ({
      ...(await statementCounts(pg.url, 'sigil')),
      ...(await directoryCounts(slapd)),
    }),
    backends: [
      { label: 'slapd', pids: () => [slapd.pid] },
      {
        label: 'postgres',
        pids: () => {
          const pid = pg.pid();
          return pid === 0 ? [] : withChildren(pid);
        },
      },
    ],
    async startSigil(db, port, name, opts = {}) {
      const { config, ...spawnOpts } = opts;
      const configFile = writeSigilConfig(
        { dir: work, tls, issuerPort, databaseUrl: pg.databaseUrl(db), ldapsUrl: slapd.ldapsUrl },
        port,
        name,
        config,
      );
      const sigil = await startSigil({ configFile, port, ca, logFile, ...spawnOpts });
      onCleanup(() => sigil.stop());
      return sigil;
    },
  };
}

export interface Discovered {
  endpoints: Endpoints;
  jwks: string;
}

export async function discover(url: string, ca: string): Promise<Discovered> {
  const d = (await getJson(`${url}/.well-known/openid-configuration`, ca)).body as Record<
    string,
    string | undefined
  >;
  const path = (u: string | undefined) => (u === undefined ? undefined : new URL(u).pathname);
  return {
    endpoints: {
      authorization: path(d['authorization_endpoint']) ?? '/auth',
      token: path(d['token_endpoint']) ?? '/token',
      device: path(d['device_authorization_endpoint']),
    },
    jwks: path(d['jwks_uri']) ?? '/jwks',
  };
}

/** Size in bits of the first RSA key sigil publishes (the bare peer gets the same). */
export async function modulusBits(url: string, ca: string, jwksPath: string): Promise<number> {
  const jwks = (await getJson(`${url}${jwksPath}`, ca)).body as {
    keys?: { kty: string; n?: string }[];
  };
  const rsa = jwks.keys?.find((k) => k.kty === 'RSA' && k.n !== undefined);
  return rsa?.n === undefined ? 2048 : Buffer.from(rsa.n, 'base64url').length * 8;
}

/** Starts the bare oidc-provider (bench/workers/bare-provider.ts) and waits for discovery. */
export async function startBare(
  env: Environment,
  bits: number,
): Promise<{ url: string; pid: number; info: Discovered }> {
  const port = await freePort();
  const child = spawnNode(
    [
      ...tsArgs('workers/bare-provider.ts'),
      JSON.stringify({
        port,
        certFile: env.tls.certFile,
        keyFile: env.tls.keyFile,
        modulusBits: bits,
      }),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  onCleanup(() => stopChild(child));
  const url = `https://127.0.0.1:${String(port)}`;
  await waitUntil(
    async () => (await getJson(`${url}/.well-known/openid-configuration`, env.ca)).status === 200,
    {
      what: 'bare oidc-provider',
      timeoutMs: 20_000,
      abort: () => (exited(child) ? 'exited' : undefined),
    },
  );
  return { url, pid: child.pid ?? 0, info: await discover(url, env.ca) };
}

export function sigilTarget(
  env: Environment,
  name: string,
  processes: readonly RunningSigil[],
  info: Discovered,
): Target {
  return {
    name,
    bases: processes.map((p) => p.url),
    client: { clientId: 'kubectl', scope: SCOPE, endpoints: info.endpoints, loginHint: false },
    watched: [{ label: 'server', pids: () => processes.map((p) => p.pid) }, ...env.backends],
    counters: () => env.counters(),
  };
}

export function bareTarget(bare: { url: string; pid: number; info: Discovered }): Target {
  return {
    name: 'bare oidc-provider',
    bases: [bare.url],
    client: { clientId: 'kubectl', scope: SCOPE, endpoints: bare.info.endpoints, loginHint: true },
    watched: [{ label: 'server', pids: () => [bare.pid] }],
  };
}
