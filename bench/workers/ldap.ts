import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AndFilter, Client, EqualityFilter, OrFilter, type Entry, type Filter } from 'ldapts';
import { cpuMs, report, ROOT, workerParams } from '../lib/children.js';
import { DIRECTORY, password, username } from '../lib/ldif.js';

/**
 * The directory limit, and sigil's LDAP connector measured alone (in-process, no HTTP).
 *
 * raw: what any LDAP login needs, written directly with ldapts, with the same transport as
 * sigil (ldaps with the CA, a pool of service connections for searches, a fresh connection per
 * user bind): search the user, bind as them, then the group searches level by level until a
 * level finds nothing (4 levels + 1 here). The refresh equivalent searches by entryUUID and
 * reads the groups, no bind.
 * sigil: the connector from dist/ doing login() / refresh() with the same configuration.
 */
interface LdapParams {
  kind: 'raw-login' | 'raw-refresh' | 'sigil-login' | 'sigil-refresh';
  ldapsUrl: string;
  caFile: string;
  /** The connector config block sigil gets (ldapConfigSchema input). */
  connectorConfig: Record<string, unknown>;
  users: number;
  concurrency: number;
  poolSize: number;
  durationMs: number;
  repeats: number;
  /** slapd's pid: its CPU per operation is measured around the loop. */
  slapdPid: number;
}

interface Op {
  (i: number): Promise<number>;
}

const p = workerParams<LdapParams>();
const ca = readFileSync(p.caFile, 'utf8');

function client(): Client {
  return new Client({ url: p.ldapsUrl, tlsOptions: { ca }, strictDN: false, timeout: 10_000 });
}

class Pool {
  readonly #idle: Client[] = [];
  readonly #waiters: ((c: Client) => void)[] = [];
  readonly #all: Client[] = [];
  async open(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const c = client();
      await c.bind(DIRECTORY.serviceDN, DIRECTORY.servicePassword);
      this.#idle.push(c);
      this.#all.push(c);
    }
  }
  async use<T>(work: (c: Client) => Promise<T>): Promise<T> {
    const c =
      this.#idle.pop() ?? (await new Promise<Client>((resolve) => this.#waiters.push(resolve)));
    try {
      return await work(c);
    } finally {
      const w = this.#waiters.shift();
      if (w === undefined) this.#idle.push(c);
      else w(c);
    }
  }
  close(): Promise<unknown> {
    return Promise.all(this.#all.map((c) => c.unbind().catch(() => undefined)));
  }
}

const eq = (attribute: string, value: string) => new EqualityFilter({ attribute, value });

async function rawGroups(pool: Pool, dn: string): Promise<number> {
  const seen = new Set<string>();
  let level = [dn];
  while (level.length > 0) {
    const filter: Filter = new AndFilter({
      filters: [
        eq('objectClass', 'groupOfNames'),
        new OrFilter({ filters: level.map((v) => eq('member', v)) }),
      ],
    });
    const found = await pool.use((c) =>
      c.search(DIRECTORY.groupsDN, { scope: 'sub', filter, attributes: ['cn'] }),
    );
    level = found.searchEntries.map((e) => e.dn).filter((d) => !seen.has(d.toLowerCase()));
    for (const d of level) seen.add(d.toLowerCase());
  }
  return seen.size;
}

async function rawUser(pool: Pool, filter: Filter): Promise<Entry> {
  const r = await pool.use((c) =>
    c.search(DIRECTORY.peopleDN, {
      scope: 'sub',
      filter: new AndFilter({ filters: [eq('objectClass', 'inetOrgPerson'), filter] }),
      sizeLimit: 2,
      attributes: ['uid', 'cn', 'mail', 'entryUUID'],
    }),
  );
  const entry = r.searchEntries[0];
  if (entry === undefined || r.searchEntries.length !== 1) throw new Error('user not found');
  return entry;
}

async function rawOps(
  kind: 'login' | 'refresh',
): Promise<{ op: Op; close: () => Promise<unknown> }> {
  const pool = new Pool();
  await pool.open(p.poolSize);
  const ids = new Map<number, string>();
  const op: Op = async (i) => {
    if (kind === 'refresh') {
      let id = ids.get(i);
      if (id === undefined) {
        id = String((await rawUser(pool, eq('uid', username(i))))['entryUUID']);
        ids.set(i, id);
      }
      const entry = await rawUser(pool, eq('entryUUID', id));
      return rawGroups(pool, entry.dn);
    }
    const entry = await rawUser(pool, eq('uid', username(i)));
    const user = client();
    try {
      await user.bind(entry.dn, password(i));
    } finally {
      await user.unbind().catch(() => undefined);
    }
    return rawGroups(pool, entry.dn);
  };
  return { op, close: () => pool.close() };
}

interface Connector {
  login(
    s: { groups: boolean; offlineAccess: boolean },
    u: string,
    pw: string,
  ): Promise<{ ok: boolean; identity?: { groups: readonly string[] }; reason?: string }>;
  refresh(
    s: { groups: boolean; offlineAccess: boolean },
    identity: unknown,
  ): Promise<{ ok: boolean; identity?: { groups: readonly string[] }; reason?: string }>;
  close?(): Promise<void>;
}

async function sigilOps(
  kind: 'login' | 'refresh',
): Promise<{ op: Op; close: () => Promise<unknown> }> {
  const dist = (path: string) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
  // The connector and the schema each from its own folder's front door.
  const mod = {
    ...((await dist('connectors/ldap/index.js')) as {
      createLdapConnector: (id: string, name: string, cfg: unknown, log: unknown) => Connector;
    }),
    ...((await dist('config/index.js')) as { ldapConfigSchema: { parse(v: unknown): unknown } }),
  };
  const quiet = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const connector = mod.createLdapConnector(
    'ldap',
    'Directory',
    mod.ldapConfigSchema.parse(p.connectorConfig),
    quiet,
  );
  const scopes = { groups: true, offlineAccess: true };
  const identities = new Map<number, unknown>();
  const login = async (i: number) => {
    const r = await connector.login(scopes, username(i), password(i));
    if (!r.ok || r.identity === undefined) throw new Error(`login refused: ${String(r.reason)}`);
    return r.identity;
  };
  const op: Op = async (i) => {
    if (kind === 'login') return (await login(i)).groups.length;
    let identity = identities.get(i);
    if (identity === undefined) {
      identity = await login(i);
      identities.set(i, identity);
    }
    const r = await connector.refresh(scopes, identity);
    if (!r.ok || r.identity === undefined) throw new Error(`refresh refused: ${String(r.reason)}`);
    return r.identity.groups.length;
  };
  return { op, close: async () => connector.close?.() };
}

const [who, what] = p.kind.split('-') as ['raw' | 'sigil', 'login' | 'refresh'];
const { op, close } = who === 'raw' ? await rawOps(what) : await sigilOps(what);
// Refresh runs cycle over as many users as run at once times four (their ids are looked up
// first, outside the measurement); logins walk through every user.
const cycle = what === 'refresh' ? Math.min(p.users, p.concurrency * 4) : p.users;
let next = 0;
const nextUser = () => 1 + (next++ % cycle);
for (let i = 0; i < cycle && (what === 'refresh' || i < 20); i++) await op(nextUser());

async function measure() {
  let n = 0;
  let errors = 0;
  let firstError: string | undefined;
  const groupCounts = new Set<number>();
  const cpu0 = process.cpuUsage();
  const slapd0 = cpuMs(p.slapdPid);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: p.concurrency }, async () => {
      while (performance.now() - start < p.durationMs) {
        try {
          groupCounts.add(await op(nextUser()));
          n++;
        } catch (err) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const slapdMs = cpuMs(p.slapdPid) - slapd0;
  return {
    rate: Math.round((n / elapsed) * 10000) / 10,
    errors,
    firstError,
    groups: [...groupCounts],
    cpuPerOpMs: n === 0 ? 0 : Math.round(((cpu.user + cpu.system) / 1000 / n) * 1000) / 1000,
    serverCpuPerOpMs: n === 0 ? 0 : Math.round((slapdMs / n) * 1000) / 1000,
  };
}

const runs = [];
for (let r = 0; r < p.repeats; r++) runs.push(await measure());
await close();
report({ kind: p.kind, runs });
