import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'ldapts';
import { makeServerCertificates } from './openssl.js';
import { freePort } from './postgres.js';

/**
 * A throwaway OpenLDAP server (Debian's slapd) for the integration tests: a generated CA and
 * server certificate, a back_mdb database seeded with slapadd from test/fixtures/ldap before
 * start, ppolicy (lockout honoured), and `sizelimit 100` for every identity except the rootdn,
 * so a search for more than 100 groups needs simple paged results.
 */
export interface Slapd {
  /** ldap://127.0.0.1:PORT (StartTLS is available on it). */
  url: string;
  /** ldaps://127.0.0.1:PORT */
  ldapsUrl: string;
  /** PEM of the CA that signed the server certificate (SAN 127.0.0.1 and localhost). */
  caFile: string;
  adminDN: string;
  adminPassword: string;
  baseDN: string;
  stop(): Promise<void>;
}

/** The fixture directory's well-known names (test/fixtures/ldap/base.ldif). */
export const LDAP_FIXTURES = {
  baseDN: 'dc=example,dc=org',
  peopleDN: 'ou=People,dc=example,dc=org',
  groupsDN: 'ou=Groups,dc=example,dc=org',
  serviceDN: 'cn=sigil-svc,ou=Services,dc=example,dc=org',
  servicePassword: 'svc-secret',
  /** Number of groups under ou=Paging,ou=Groups that uid=pager belongs to. */
  pagingGroups: 150,
} as const;

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';
const ADMIN_DN = 'cn=admin,dc=example,dc=org';
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'ldap');

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${String(r.status)}): ${r.stderr}${r.stdout}`,
    );
}

/** LDIF for the paging fixture: cn=page-001..150 under ou=Paging, each with uid=pager as member. */
function pagingGroupsLdif(): string {
  const member = `uid=pager,${LDAP_FIXTURES.peopleDN}`;
  const out: string[] = [];
  for (let i = 1; i <= LDAP_FIXTURES.pagingGroups; i++) {
    const cn = `page-${String(i).padStart(3, '0')}`;
    out.push(
      `dn: cn=${cn},ou=Paging,${LDAP_FIXTURES.groupsDN}`,
      'objectClass: groupOfNames',
      `cn: ${cn}`,
      `member: ${member}`,
      '',
    );
  }
  return out.join('\n');
}

function slapdConf(
  dir: string,
  tls: { ca: string; cert: string; key: string },
  adminPassword: string,
): string {
  const schemas = ['core', 'cosine', 'inetorgperson', 'nis'].map((s) =>
    join(SCHEMA_DIR, `${s}.schema`),
  );
  // OpenLDAP 2.4 ships ppolicy.schema; 2.5+ builds it into the overlay.
  const ppolicySchema = join(SCHEMA_DIR, 'ppolicy.schema');
  if (existsSync(ppolicySchema)) schemas.push(ppolicySchema);
  schemas.push(join(FIXTURES, 'sigil-test.schema'));
  return [
    ...schemas.map((s) => `include ${s}`),
    `modulepath ${MODULE_DIR}`,
    'moduleload back_mdb',
    'moduleload ppolicy',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    `TLSCACertificateFile ${tls.ca}`,
    `TLSCertificateFile ${tls.cert}`,
    `TLSCertificateKeyFile ${tls.key}`,
    // Applies to everyone but the rootdn, including the service account: >100 results need paging
    // (prtotal: a paged search may return more in total; by default it is capped by the hard limit).
    'sizelimit size.soft=100 size.hard=100 size.prtotal=unlimited',
    'database mdb',
    `suffix "${LDAP_FIXTURES.baseDN}"`,
    `rootdn "${ADMIN_DN}"`,
    `rootpw ${adminPassword}`,
    `directory ${join(dir, 'db')}`,
    'maxsize 268435456',
    'index objectClass eq',
    'index uid,cn,mail,member,memberUid,entryUUID eq',
    'overlay ppolicy',
    `ppolicy_default "cn=default,ou=Policies,${LDAP_FIXTURES.baseDN}"`,
    'access to attrs=userPassword by anonymous auth by self write by * none',
    // Anonymous may bind but not search: a connection that silently lost its bind finds nothing.
    'access to * by users read by anonymous auth',
    '',
  ].join('\n');
}

async function answers(url: string, adminPassword: string): Promise<boolean> {
  const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
  try {
    await client.bind(ADMIN_DN, adminPassword);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function launch(
  dir: string,
  conf: string,
  adminPassword: string,
): Promise<{ child: ChildProcess; url: string; ldapsUrl: string }> {
  const port = await freePort();
  let tlsPort = await freePort();
  while (tlsPort === port) tlsPort = await freePort();
  const url = `ldap://127.0.0.1:${String(port)}`;
  const ldapsUrl = `ldaps://127.0.0.1:${String(tlsPort)}`;
  // -d keeps slapd in the foreground, so the pid we hold is slapd's own. As root it stays root.
  const child = spawn(SLAPD, ['-h', `${url}/ ${ldapsUrl}/`, '-f', conf, '-d', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited(child))
      throw new Error(`slapd exited (${String(child.exitCode ?? child.signalCode)}): ${stderr}`);
    if (await answers(url, adminPassword)) return { child, url, ldapsUrl };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`slapd did not answer on ${url} within 15s: ${stderr}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

export async function startSlapd(): Promise<Slapd> {
  if (!existsSync(SLAPD) || !existsSync(SLAPADD))
    throw new Error(`${SLAPD} or ${SLAPADD} is missing`);
  const dir = mkdtempSync(join(tmpdir(), 'sigil-slapd-'));
  try {
    mkdirSync(join(dir, 'db'));
    const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
    const tls = makeServerCertificates(dir, { caSubject: 'sigil test LDAP CA', days: 2 });
    const conf = join(dir, 'slapd.conf');
    writeFileSync(conf, slapdConf(dir, tls, adminPassword));
    const ldif = join(dir, 'seed.ldif');
    writeFileSync(
      ldif,
      `${readFileSync(join(FIXTURES, 'base.ldif'), 'utf8')}\n${pagingGroupsLdif()}`,
    );
    run(SLAPADD, ['-f', conf, '-l', ldif]);
    // A port picked by freePort can be taken before slapd binds it: try a few times.
    let started: Awaited<ReturnType<typeof launch>> | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && started === undefined; attempt++) {
      try {
        started = await launch(dir, conf, adminPassword);
      } catch (err) {
        lastError = err;
      }
    }
    if (started === undefined) throw lastError;
    const { child, url, ldapsUrl } = started;
    return {
      url,
      ldapsUrl,
      caFile: tls.ca,
      adminDN: ADMIN_DN,
      adminPassword,
      baseDN: LDAP_FIXTURES.baseDN,
      async stop() {
        await stopChild(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
