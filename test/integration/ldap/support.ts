import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'ldapts';
import { inject } from 'vitest';
import {
  ldapConfigSchema,
  type LdapConfig,
  type LdapConfigInput,
} from '../../../src/config/index.js';
import type { LdapLogger } from '../../../src/connectors/ldap/index.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';

/** Helpers shared by the LDAP connector's integration tests (not a test file). */

export const ALL_SCOPES = { groups: true, offlineAccess: true } as const;

export function ldapPort(): string {
  return new URL(inject('ldapUrl')).port;
}

export function ldapsPort(): string {
  return new URL(inject('ldapsUrl')).port;
}

/** A connector config against the test slapd over ldaps with the test CA; `over` replaces keys. */
export function testConfig(over: Partial<LdapConfigInput> = {}): LdapConfig {
  return ldapConfigSchema.parse({
    host: `127.0.0.1:${ldapsPort()}`,
    rootCA: inject('ldapCaFile'),
    bindDN: LDAP_FIXTURES.serviceDN,
    bindPW: LDAP_FIXTURES.servicePassword,
    connectTimeout: '2s',
    timeout: '5s',
    userSearch: {
      baseDN: LDAP_FIXTURES.peopleDN,
      filter: '(objectClass=inetOrgPerson)',
      username: 'uid',
      emailSuffix: 'corp.example.org',
    },
    groupSearch: {
      baseDN: LDAP_FIXTURES.groupsDN,
      filter: '(|(objectClass=groupOfNames)(objectClass=posixGroup))',
      userMatchers: [
        { userAttr: 'DN', groupAttr: 'member', recursionGroupAttr: 'member' },
        { userAttr: 'uid', groupAttr: 'memberUid' },
      ],
      nameAttr: 'cn',
      pageSize: 40,
    },
    ...over,
  } satisfies LdapConfigInput);
}

export interface CapturedLog extends LdapLogger {
  lines: { level: string; obj: object; msg: string }[];
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const at = (level: string) => (obj: object, msg: string) => {
    lines.push({ level, obj, msg });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The rootdn, to change the directory from tests (each test file under its own ou=Test<Name>). */
export async function adminClient(): Promise<Client> {
  const client = new Client({ url: inject('ldapUrl') });
  await client.bind(inject('ldapAdminDN'), inject('ldapAdminPassword'));
  return client;
}

export async function entryUUID(admin: Client, dn: string): Promise<string> {
  const r = await admin.search(dn, { scope: 'base', attributes: ['entryUUID'] });
  const v = r.searchEntries[0]?.['entryUUID'];
  if (typeof v !== 'string') throw new Error(`no entryUUID on ${dn}`);
  return v;
}

/** Deletes `dn` and everything below it (deepest first). */
export async function deleteTree(admin: Client, dn: string): Promise<void> {
  const r = await admin
    .search(dn, { scope: 'sub', attributes: ['1.1'] })
    .catch(() => ({ searchEntries: [] }));
  const dns = r.searchEntries.map((e) => e.dn).sort((a, b) => b.length - a.length);
  for (const d of dns) await admin.del(d);
}

/** A port on which nothing listens. */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) =>
    srv.close(() => {
      resolve();
    }),
  );
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** A TCP server that accepts connections and never answers (a hung directory). */
export async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => {
          resolve();
        });
      }),
  };
}

/** A TCP relay to `port` whose live connections can be cut, as a restarting server would. */
export async function relay(
  port: number,
): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const pairs = new Set<Socket>();
  const srv = createServer((inbound) => {
    const outbound = new (inbound.constructor as typeof Socket)();
    outbound.connect(port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      pairs.add(s);
      s.on('error', () => undefined);
      s.on('close', () => pairs.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  const cut = () => {
    for (const s of pairs) s.destroy();
  };
  return {
    port: addr.port,
    cut,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        srv.close(() => {
          resolve();
        });
      }),
  };
}
