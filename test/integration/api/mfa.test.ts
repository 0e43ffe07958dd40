import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashRecoveryCode, newRecoveryCodes } from '../../../src/security/index.js';
import {
  confirmFactor,
  createFactor,
  findIdentity,
  listFactors,
  queryAuditEvents,
  replaceRecoveryCodes,
  unusedRecoveryCodes,
} from '../../../src/storage/index.js';
import { api, apiConfig, ApiContract, BOB, clientToken, personTokens } from '../../support/api.js';
import { flushAllAudit, startTestSigil, type TestSigil } from '../../support/sigil.js';

describe('admin API: a person’s second factors, listed and reset (a lost phone)', () => {
  let s: TestSigil;
  let contract: ApiContract;
  let bobSub: string;
  let bobAccess: string;

  beforeAll(async () => {
    s = await startTestSigil('pglite', await apiConfig());
    contract = new ApiContract((await s.client().get('/api/v1/openapi.json')).json());
    // Bob logs in once, so sigil has seen him; his factors are then stored as enrollment does.
    bobAccess = (await personTokens(s.client(), BOB)).access_token;
    const { rows } = await s.server.db.query<{ sub: string }>(
      "SELECT sub FROM identities WHERE claims->>'username' = 'bob'",
    );
    bobSub = rows[0]!.sub;
    const who = {
      sub: bobSub,
      connectorId: (await findIdentity(s.server.db, bobSub))!.connectorId,
    };
    await createFactor(s.server.db, {
      ...who,
      id: 'f-totp-1',
      kind: 'totp',
      name: 'Phone',
      secret: 'JBSWY3DPEHPK3PXP',
    });
    expect(await confirmFactor(s.server.db, who, 'f-totp-1', 1)).toBe(true);
    await replaceRecoveryCodes(
      s.server.db,
      who,
      newRecoveryCodes().map((c) => hashRecoveryCode(bobSub, c) ?? ''),
    );
  });
  afterAll(async () => {
    await s.close();
  });

  const path = () => `/users/${encodeURIComponent(bobSub)}/mfa`;

  it('lists the factors without their secrets, as the document says', async () => {
    const r = await api(s.client(), 'GET', path(), await clientToken(s.client()));
    expect(r.status, r.text).toBe(200);
    contract.check('GET', '/users/{sub}/mfa', r);
    expect(r.json()).toMatchObject({
      sub: bobSub,
      username: 'bob',
      factors: [{ id: 'f-totp-1', kind: 'totp', name: 'Phone' }],
      recoveryCodesLeft: 10,
    });
    expect(r.text).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it('refuses a person who is not an admin, and the factors stay', async () => {
    const r = await api(s.client(), 'DELETE', path(), bobAccess);
    expect(r.status).toBe(403);
    contract.check('DELETE', '/users/{sub}/mfa', r);
    const who = { sub: bobSub, connectorId: 'local' };
    expect(await listFactors(s.server.db, who)).toHaveLength(1);
  });

  it('resets every factor and recovery code, audited as mfa.reset with the caller', async () => {
    const admin = await clientToken(s.client());
    const r = await api(s.client(), 'DELETE', path(), admin);
    expect(r.status, r.text).toBe(200);
    contract.check('DELETE', '/users/{sub}/mfa', r);
    expect(r.json()).toEqual({
      sub: bobSub,
      username: 'bob',
      removed: { factors: 1, recoveryCodes: 10 },
    });
    const who = { sub: bobSub, connectorId: 'local' };
    expect(await listFactors(s.server.db, who)).toEqual([]);
    expect(await unusedRecoveryCodes(s.server.db, who)).toBe(0);
    await flushAllAudit();
    const rows = await queryAuditEvents(s.server.db, { event: 'mfa.reset', limit: 10 });
    expect(rows[0]?.details).toMatchObject({
      actor: { kind: 'client', id: 'ops' },
      factors: 1,
      recoveryCodes: 10,
    });
    const again = await api(s.client(), 'GET', path(), admin);
    expect(again.json()).toMatchObject({ factors: [], recoveryCodesLeft: 0 });
  });

  it('a person sigil has never seen is a 404 problem', async () => {
    const admin = await clientToken(s.client());
    for (const m of ['GET', 'DELETE']) {
      const r = await api(s.client(), m, '/users/nobody-at-all/mfa', admin);
      expect(r.status).toBe(404);
      contract.check(m, '/users/{sub}/mfa', r);
    }
  });
});
