import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { exited, stopChild, track } from './children.js';
import { DIRECTORY, directoryLdif } from './ldif.js';
import { freePort, waitFor } from './net.js';
import type { BenchTls } from './tls.js';

/**
 * slapd for the bench, after test/support/slapd.ts: back_mdb seeded with slapadd before start,
 * ldap:// and ldaps:// on 127.0.0.1, ppolicy loaded, logging off (both sigil and the raw ldapts
 * baseline talk to this one server, so its costs are the same for both).
 */
export interface BenchSlapd {
  url: string;
  ldapsUrl: string;
  adminDN: string;
  adminPassword: string;
  pid: number;
  stop(): Promise<void>;
}

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const SCHEMA_DIR = '/etc/ldap/schema';
const ADMIN_DN = `cn=admin,${DIRECTORY.baseDN}`;

function conf(dir: string, tls: BenchTls, adminPassword: string): string {
  const schemas = ['core', 'cosine', 'inetorgperson', 'nis'].map((s) =>
    join(SCHEMA_DIR, `${s}.schema`),
  );
  const ppolicySchema = join(SCHEMA_DIR, 'ppolicy.schema');
  if (existsSync(ppolicySchema)) schemas.push(ppolicySchema);
  return [
    ...schemas.map((s) => `include ${s}`),
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload ppolicy',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'loglevel 0',
    `TLSCACertificateFile ${tls.caFile}`,
    `TLSCertificateFile ${tls.certFile}`,
    `TLSCertificateKeyFile ${tls.keyFile}`,
    'sizelimit 500',
    'database mdb',
    `suffix "${DIRECTORY.baseDN}"`,
    `rootdn "${ADMIN_DN}"`,
    `rootpw ${adminPassword}`,
    `directory ${join(dir, 'db')}`,
    'maxsize 1073741824',
    'index objectClass eq',
    'index uid,cn,mail,member,entryUUID eq',
    'overlay ppolicy',
    'access to attrs=userPassword by anonymous auth by self write by * none',
    'access to * by users read by anonymous auth',
    // cn=Monitor: operation counts (binds, searches, connections per login) for the report.
    'database monitor',
    `access to dn.subtree="cn=Monitor" by dn.exact="${ADMIN_DN}" read by * none`,
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

/** Binds, searches and connections slapd has completed so far (cn=Monitor). */
export async function directoryCounts(
  url: string,
  adminPassword: string,
): Promise<Record<string, number>> {
  const client = new Client({ url, timeout: 5000 });
  try {
    await client.bind(ADMIN_DN, adminPassword);
    const ops = await client.search('cn=Operations,cn=Monitor', {
      scope: 'one',
      attributes: ['cn', 'monitorOpCompleted'],
    });
    const out: Record<string, number> = {};
    for (const e of ops.searchEntries) {
      const cn = String(e['cn']).toLowerCase();
      if (cn === 'bind') out['ldap binds'] = Number(e['monitorOpCompleted']);
      if (cn === 'search') out['ldap searches'] = Number(e['monitorOpCompleted']);
    }
    const total = await client.search('cn=Total,cn=Connections,cn=Monitor', {
      scope: 'base',
      attributes: ['monitorCounter'],
    });
    out['ldap connections'] = Number(total.searchEntries[0]?.['monitorCounter'] ?? 0);
    return out;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Generates `users` users, loads them with slapadd and starts slapd. */
export async function startSlapd(dir: string, tls: BenchTls, users: number): Promise<BenchSlapd> {
  if (!existsSync(SLAPD) || !existsSync(SLAPADD))
    throw new Error(`${SLAPD} or ${SLAPADD} is missing (apt-get install slapd ldap-utils)`);
  mkdirSync(join(dir, 'db'), { recursive: true });
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
  const confFile = join(dir, 'slapd.conf');
  writeFileSync(confFile, conf(dir, tls, adminPassword));
  const ldif = join(dir, 'seed.ldif');
  writeFileSync(ldif, directoryLdif(users));
  const add = spawnSync(SLAPADD, ['-q', '-f', confFile, '-l', ldif], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`slapadd failed: ${add.stderr}${add.stdout}`);

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const tlsPort = await freePort();
    const url = `ldap://127.0.0.1:${String(port)}`;
    const ldapsUrl = `ldaps://127.0.0.1:${String(tlsPort)}`;
    const child: ChildProcess = track(
      spawn(SLAPD, ['-h', `${url}/ ${ldapsUrl}/`, '-f', confFile, '-d', '0'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-2000);
    });
    try {
      await waitFor(
        () => answers(url, adminPassword),
        15_000,
        'slapd',
        100,
        () => (exited(child) ? `exited: ${stderr}` : undefined),
      );
      return {
        url,
        ldapsUrl,
        adminDN: ADMIN_DN,
        adminPassword,
        pid: child.pid ?? 0,
        stop: () => stopChild(child),
      };
    } catch (err) {
      lastError = err;
      await stopChild(child);
    }
  }
  throw lastError;
}
