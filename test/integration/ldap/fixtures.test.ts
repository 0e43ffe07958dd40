import { readFileSync } from 'node:fs';
import {
  Client,
  InvalidCredentialsError,
  InsufficientAccessError,
  SizeLimitExceededError,
} from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LDAP_FIXTURES } from '../../support/slapd.js';

// The throwaway slapd itself: the properties the connector tests rely on.
describe('test slapd', () => {
  let svc: Client;
  beforeAll(async () => {
    svc = new Client({ url: inject('ldapUrl') });
    await svc.bind(LDAP_FIXTURES.serviceDN, LDAP_FIXTURES.servicePassword);
  });
  afterAll(async () => {
    await svc.unbind();
  });

  it('returns entryUUID only when asked for by name', async () => {
    const plain = await svc.search(LDAP_FIXTURES.peopleDN, { filter: '(uid=alice)' });
    expect(plain.searchEntries[0]?.['entryUUID']).toBeUndefined();
    const asked = await svc.search(LDAP_FIXTURES.peopleDN, {
      filter: '(uid=alice)',
      attributes: ['entryUUID'],
    });
    expect(String(asked.searchEntries[0]?.['entryUUID'])).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('limits the service account to 100 entries unless the search is paged', async () => {
    const filter = `(member=uid=pager,${LDAP_FIXTURES.peopleDN})`;
    await expect(svc.search(LDAP_FIXTURES.groupsDN, { filter })).rejects.toBeInstanceOf(
      SizeLimitExceededError,
    );
    const paged = await svc.search(LDAP_FIXTURES.groupsDN, { filter, paged: { pageSize: 50 } });
    expect(paged.searchEntries).toHaveLength(LDAP_FIXTURES.pagingGroups);
    const bigPages = await svc.search(LDAP_FIXTURES.groupsDN, { filter, paged: { pageSize: 500 } });
    expect(bigPages.searchEntries).toHaveLength(LDAP_FIXTURES.pagingGroups);
  });

  it('refuses the ppolicy-locked user even with the right password', async () => {
    const c = new Client({ url: inject('ldapUrl') });
    await expect(
      c.bind(`uid=locked,${LDAP_FIXTURES.peopleDN}`, 'locked-pw'),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    await c.bind(`uid=bob,${LDAP_FIXTURES.peopleDN}`, 'bob-pw');
    await c.unbind();
  });

  it('lets anonymous connections bind but not search', async () => {
    const anon = new Client({ url: inject('ldapUrl') });
    try {
      await anon.bind('');
      await expect(
        anon.search(LDAP_FIXTURES.peopleDN, { filter: '(uid=alice)' }),
      ).rejects.toBeInstanceOf(InsufficientAccessError);
    } finally {
      await anon.unbind();
    }
  });

  it('serves ldaps and StartTLS with the test CA', async () => {
    const ca = readFileSync(inject('ldapCaFile'));
    const tls = new Client({ url: inject('ldapsUrl'), tlsOptions: { ca } });
    await tls.bind(LDAP_FIXTURES.serviceDN, LDAP_FIXTURES.servicePassword);
    await tls.unbind();
    const st = new Client({ url: inject('ldapUrl') });
    await st.startTLS({ ca, servername: 'localhost' });
    await st.bind(LDAP_FIXTURES.serviceDN, LDAP_FIXTURES.servicePassword);
    await st.unbind();
  });
});
