import { Client } from 'ldapts';
import { startSlapd, type Slapd } from '../../test/support/slapd.js';
import { track } from './children.js';
import { DIRECTORY, directoryLdif } from './ldif.js';
import type { BenchTls } from './tls.js';

/**
 * slapd for the bench: the tests' throwaway slapd (test/support/slapd.ts) serving the bench
 * directory (ldif.ts) with the bench's certificates, cn=Monitor for the report's operation
 * counts, no default password policy and a size limit above the largest group search. Both
 * sigil and the raw ldapts baseline talk to this one server, so its costs are the same for both.
 */
export function startBenchSlapd(dir: string, tls: BenchTls, users: number): Promise<Slapd> {
  return startSlapd({
    dir,
    baseDN: DIRECTORY.baseDN,
    seed: () => directoryLdif(users),
    tls: { ca: tls.caFile, cert: tls.certFile, key: tls.keyFile },
    sizeLimit: 'sizelimit 500',
    ppolicyDefault: false,
    monitor: true,
    quickLoad: true,
    onSpawn: track,
  });
}

/** Binds, searches and connections slapd has completed so far (cn=Monitor). */
export async function directoryCounts(slapd: Slapd): Promise<Record<string, number>> {
  const client = new Client({ url: slapd.url, timeout: 5000 });
  try {
    await client.bind(slapd.adminDN, slapd.adminPassword);
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
