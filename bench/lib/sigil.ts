import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { exited, stopChild } from '../../test/support/process.js';
import { spawnNode } from './children.js';
import { DIRECTORY } from './ldif.js';
import { waitUntil } from '../../test/support/poll.js';
import type { BenchTls } from './tls.js';

/** Starting sigil from the built dist/ as a child process with a config file. */

export interface SigilSetup {
  dir: string;
  tls: BenchTls;
  issuerPort: number;
  databaseUrl: string;
  ldapsUrl: string;
}

/** The LDAP connector block: ldaps with the CA, service account, nested groups by DN. */
export function connectorConfig(s: Pick<SigilSetup, 'tls' | 'ldapsUrl'>): Record<string, unknown> {
  return {
    host: new URL(s.ldapsUrl).host,
    rootCA: s.tls.caFile,
    bindDN: DIRECTORY.serviceDN,
    bindPW: DIRECTORY.servicePassword,
    userSearch: {
      baseDN: DIRECTORY.peopleDN,
      filter: '(objectClass=inetOrgPerson)',
      username: 'uid',
    },
    groupSearch: {
      baseDN: DIRECTORY.groupsDN,
      filter: '(objectClass=groupOfNames)',
      userMatchers: [{ userAttr: 'DN', groupAttr: 'member', recursionGroupAttr: 'member' }],
      nameAttr: 'cn',
    },
  };
}

/** As in production: private keys encrypted at rest. */
export const BENCH_KEYS = { encryptionSecret: 'bench-key-encryption-secret-0123456789' };

/**
 * Writes a config for one sigil process listening on `port` (issuer port shared by replicas);
 * `overrides` replace top-level sections (e.g. `keys` with a short rotation period).
 */
export function writeSigilConfig(
  s: SigilSetup,
  port: number,
  name: string,
  overrides: Record<string, unknown> = {},
): string {
  const config = {
    issuer: `https://127.0.0.1:${String(s.issuerPort)}`,
    storage: { type: 'postgres', config: { url: s.databaseUrl } },
    web: {
      https: `127.0.0.1:${String(port)}`,
      tlsCert: s.tls.certFile,
      tlsKey: s.tls.keyFile,
      tlsCA: s.tls.caFile,
    },
    logger: { level: 'info', format: 'json' },
    keys: BENCH_KEYS,
    staticClients: [{ id: 'kubectl', name: 'kubectl', public: true }],
    connectors: [{ type: 'ldap', id: 'ldap', name: 'Directory', config: connectorConfig(s) }],
    ...overrides,
  };
  const file = join(s.dir, `${name}.yaml`);
  // JSON is YAML.
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export interface RunningSigil {
  url: string;
  pid: number;
  child: ChildProcess;
  /** ms from spawn to the first discovery answer. */
  startMs: number;
  stop(): Promise<void>;
}

export function getJson(url: string, ca: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export async function startSigil(opts: {
  configFile: string;
  port: number;
  ca: string;
  logFile: string;
  nodeArgs?: readonly string[];
  env?: Readonly<Record<string, string>>;
}): Promise<RunningSigil> {
  const url = `https://127.0.0.1:${String(opts.port)}`;
  const log = openSync(opts.logFile, 'a');
  const started = performance.now();
  const child = spawnNode(
    [...(opts.nodeArgs ?? []), 'dist/main.js', 'serve', '--config', opts.configFile],
    { stdio: ['ignore', log, log], env: { ...process.env, ...opts.env } },
  );
  closeSync(log);
  try {
    await waitUntil(
      async () =>
        (await getJson(`${url}/.well-known/openid-configuration`, opts.ca)).status === 200,
      {
        what: `sigil (log: ${opts.logFile})`,
        timeoutMs: 30_000,
        intervalMs: 10,
        abort: () => (exited(child) ? `exited with ${String(child.exitCode)}` : undefined),
      },
    );
  } catch (err) {
    await stopChild(child);
    // The log lives in the bench's temp dir, which is removed at the end: show its tail now.
    const tail = readFileSync(opts.logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tail}`, {
      cause: err,
    });
  }
  return {
    url,
    pid: child.pid ?? 0,
    child,
    startMs: Math.round(performance.now() - started),
    stop: () => stopChild(child, 15_000),
  };
}

export interface HeapProbe {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  /** V8's young generation (semi-spaces) and old space as committed (total), MB. */
  newSpaceMb?: number;
  oldSpaceMb?: number;
}

/** sigil's own view of its memory, from its Prometheus /metrics (process metrics). */
export async function heapProbe(url: string, ca: string): Promise<HeapProbe | undefined> {
  const r = await getJson(`${url}/metrics`, ca).catch(() => undefined);
  if (r === undefined || r.status !== 200 || typeof r.body !== 'string') return undefined;
  const text = r.body;
  const metric = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
    return m?.[1] === undefined ? 0 : Math.round((Number(m[1]) / 2 ** 20) * 10) / 10;
  };
  return {
    rssMb: metric('process_resident_memory_bytes'),
    heapUsedMb: metric('nodejs_heap_size_used_bytes'),
    heapTotalMb: metric('nodejs_heap_size_total_bytes'),
    externalMb: metric('nodejs_external_memory_bytes'),
    newSpaceMb: metric('nodejs_heap_space_size_total_bytes\\{space="new"\\}'),
    oldSpaceMb: metric('nodejs_heap_space_size_total_bytes\\{space="old"\\}'),
  };
}

/** Byte size of the log so far (a position for `logProblems` ranges); 0 when it is missing. */
export function logSize(logFile: string): number {
  try {
    return statSync(logFile).size;
  } catch {
    return 0;
  }
}

/**
 * sigil's warnings and errors during the run (pino JSON lines at level >= 40), counted by
 * message, with the first line of each kind: a load run should not produce any. `within`
 * keeps only the lines in a byte range of the log, `skip` leaves out ranges (a fault phase,
 * whose errors are expected and reported by that phase).
 */
export function logProblems(
  logFile: string,
  o: { within?: readonly [number, number]; skip?: readonly (readonly [number, number])[] } = {},
): Record<string, { count: number; first: string }> {
  const out: Record<string, { count: number; first: string }> = {};
  let text: Buffer;
  try {
    text = readFileSync(logFile);
  } catch {
    return out;
  }
  const inRange = (at: number, [from, to]: readonly [number, number]) => at >= from && at < to;
  for (let at = 0; at < text.length;) {
    const nl = text.indexOf(10, at);
    const end = nl === -1 ? text.length : nl;
    const lineAt = at;
    at = end + 1;
    if (o.within !== undefined && !inRange(lineAt, o.within)) continue;
    if (o.skip?.some((r) => inRange(lineAt, r)) === true) continue;
    const line = text.toString('utf8', lineAt, end);
    if (!line.startsWith('{')) continue;
    let entry: { level?: number; msg?: string };
    try {
      entry = JSON.parse(line) as { level?: number; msg?: string };
    } catch {
      continue;
    }
    if ((entry.level ?? 0) < 40) continue;
    const key = `${String(entry.level)} ${entry.msg ?? ''}`.slice(0, 120);
    const seen = out[key];
    if (seen === undefined) out[key] = { count: 1, first: line.slice(0, 600) };
    else seen.count++;
  }
  return out;
}
