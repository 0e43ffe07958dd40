import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'ldapts';
import { makeServerCertificates } from './openssl.js';
import { freePort } from './net.js';
import { waitUntil } from './poll.js';
import { exited, stopChild } from './process.js';

/**
 * A throwaway OpenLDAP server (Debian's slapd), for the integration tests and the bench: a
 * back_mdb database seeded with slapadd before start, ldap:// (StartTLS) and ldaps:// on
 * 127.0.0.1, ppolicy loaded, logging off. By default it serves the fixture directory
 * (test/fixtures/ldap) with its own CA, lockout honoured (a default ppolicy) and
 * `sizelimit 100` for every identity except the rootdn, so a search for more than 100 groups
 * needs simple paged results. The bench brings its own directory, certificates and limits.
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
  /** slapd's own pid (it runs in the foreground; a new one after `start`). */
  pid: number;
  stop(): Promise<void>;
  /** Stops the slapd process only (a directory outage): its data and ports are kept. */
  halt(): Promise<void>;
  /** Starts slapd again after `halt`, on the same ports with the same data. */
  start(): Promise<void>;
}

export interface SlapdOptions {
  /** The suffix of the one database; default the fixtures' `dc=example,dc=org`. */
  baseDN?: string;
  /** LDIF loaded with slapadd before start; default the fixtures with the paging groups. */
  seed?: () => string;
  /** Work directory, kept by stop(); default a temp dir that stop() removes. */
  dir?: string;
  /** Certificates to serve; default a fresh CA and server certificate in the work dir. */
  tls?: { ca: string; cert: string; key: string };
  /** The `sizelimit` directive; default 100 for everyone but the rootdn, more with paging. */
  sizeLimit?: string;
  /** DN of the default password policy; `false`: none. Default the fixtures' policy. */
  ppolicyDefault?: string | false;
  /** Also serve cn=Monitor to the admin (operation and connection counts). */
  monitor?: boolean;
  /** slapadd's quick mode (fewer integrity checks): for a large generated directory. */
  quickLoad?: boolean;
  /** Called with each slapd process as it is spawned (the bench tracks its children). */
  onSpawn?: (child: ChildProcess) => void;
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
  o: Required<Pick<SlapdOptions, 'baseDN' | 'sizeLimit' | 'ppolicyDefault' | 'monitor'>> & {
    adminDN: string;
    adminPassword: string;
  },
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
    'loglevel 0',
    `TLSCACertificateFile ${tls.ca}`,
    `TLSCertificateFile ${tls.cert}`,
    `TLSCertificateKeyFile ${tls.key}`,
    o.sizeLimit,
    'database mdb',
    `suffix "${o.baseDN}"`,
    `rootdn "${o.adminDN}"`,
    `rootpw ${o.adminPassword}`,
    `directory ${join(dir, 'db')}`,
    'maxsize 1073741824',
    'index objectClass eq',
    'index uid,cn,mail,member,memberUid,entryUUID eq',
    'overlay ppolicy',
    ...(o.ppolicyDefault === false ? [] : [`ppolicy_default "${o.ppolicyDefault}"`]),
    'access to attrs=userPassword by anonymous auth by self write by * none',
    // Anonymous may bind but not search: a connection that silently lost its bind finds nothing.
    'access to * by users read by anonymous auth',
    ...(o.monitor
      ? [
          'database monitor',
          `access to dn.subtree="cn=Monitor" by dn.exact="${o.adminDN}" read by * none`,
        ]
      : []),
    '',
  ].join('\n');
}

/** True when slapd at `url` accepts the admin's bind. */
async function answers(url: string, adminDN: string, adminPassword: string): Promise<boolean> {
  const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
  try {
    await client.bind(adminDN, adminPassword);
    return true;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

interface Launched {
  child: ChildProcess;
  url: string;
  ldapsUrl: string;
}

async function launch(
  conf: string,
  admin: { dn: string; password: string },
  onSpawn: (child: ChildProcess) => void,
  again?: { url: string; ldapsUrl: string },
): Promise<Launched> {
  let url = again?.url;
  let ldapsUrl = again?.ldapsUrl;
  if (url === undefined || ldapsUrl === undefined) {
    const port = await freePort();
    let tlsPort = await freePort();
    while (tlsPort === port) tlsPort = await freePort();
    url = `ldap://127.0.0.1:${String(port)}`;
    ldapsUrl = `ldaps://127.0.0.1:${String(tlsPort)}`;
  }
  // -d keeps slapd in the foreground, so the pid we hold is slapd's own. As root it stays root.
  const child = spawn(SLAPD, ['-h', `${url}/ ${ldapsUrl}/`, '-f', conf, '-d', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  onSpawn(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  try {
    await waitUntil(() => answers(url, admin.dn, admin.password), {
      what: `slapd on ${url}`,
      timeoutMs: 15_000,
      intervalMs: 100,
      abort: () =>
        exited(child)
          ? `exited (${String(child.exitCode ?? child.signalCode)}): ${stderr}`
          : undefined,
    });
    return { child, url, ldapsUrl };
  } catch (err) {
    await stopChild(child, 0);
    throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
  }
}

/** The fixture directory: base.ldif and 150 groups for the paging test. */
function fixtureSeed(): string {
  return `${readFileSync(join(FIXTURES, 'base.ldif'), 'utf8')}\n${pagingGroupsLdif()}`;
}

export async function startSlapd(o: SlapdOptions = {}): Promise<Slapd> {
  if (!existsSync(SLAPD) || !existsSync(SLAPADD))
    throw new Error(`${SLAPD} or ${SLAPADD} is missing (apt-get install slapd ldap-utils)`);
  const ownDir = o.dir === undefined;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'sigil-slapd-'));
  const removeDir = () => {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    mkdirSync(join(dir, 'db'), { recursive: true });
    const baseDN = o.baseDN ?? LDAP_FIXTURES.baseDN;
    const admin = {
      dn: `cn=admin,${baseDN}`,
      password: `admin-${Math.random().toString(36).slice(2)}`,
    };
    const tls = o.tls ?? makeServerCertificates(dir, { caSubject: 'sigil test LDAP CA', days: 2 });
    const conf = join(dir, 'slapd.conf');
    writeFileSync(
      conf,
      slapdConf(dir, tls, {
        baseDN,
        adminDN: admin.dn,
        adminPassword: admin.password,
        // Applies to everyone but the rootdn, including the service account: >100 results
        // need paging (prtotal: a paged search may return more in total; by default the hard
        // limit caps it).
        sizeLimit: o.sizeLimit ?? 'sizelimit size.soft=100 size.hard=100 size.prtotal=unlimited',
        ppolicyDefault: o.ppolicyDefault ?? `cn=default,ou=Policies,${LDAP_FIXTURES.baseDN}`,
        monitor: o.monitor ?? false,
      }),
    );
    const ldif = join(dir, 'seed.ldif');
    writeFileSync(ldif, (o.seed ?? fixtureSeed)());
    run(SLAPADD, [...(o.quickLoad === true ? ['-q'] : []), '-f', conf, '-l', ldif]);
    // A port picked by freePort can be taken before slapd binds it: try a few times.
    let started: Launched | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && started === undefined; attempt++) {
      try {
        started = await launch(conf, admin, o.onSpawn ?? (() => undefined));
      } catch (err) {
        lastError = err;
      }
    }
    if (started === undefined) throw lastError;
    const { url, ldapsUrl } = started;
    let child: ChildProcess | undefined = started.child;
    const running: Slapd = {
      url,
      ldapsUrl,
      caFile: tls.ca,
      adminDN: admin.dn,
      adminPassword: admin.password,
      baseDN,
      pid: child.pid ?? 0,
      async stop() {
        if (child !== undefined) await stopChild(child);
        child = undefined;
        removeDir();
      },
      async halt() {
        if (child !== undefined) await stopChild(child);
        child = undefined;
      },
      async start() {
        if (child !== undefined) return;
        const again = await launch(conf, admin, o.onSpawn ?? (() => undefined), {
          url,
          ldapsUrl,
        });
        child = again.child;
        running.pid = child.pid ?? 0;
      },
    };
    return running;
  } catch (err) {
    removeDir();
    throw err;
  }
}
