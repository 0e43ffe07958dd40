import { expect } from 'vitest';
import { hashPassword } from '../../../src/connectors/static/index.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { Queryable } from '../../../src/storage/index.js';
import { hiddenInput, type Client, type Res } from '../../support/http-client.js';
import { authPath } from '../../support/auth-request.js';
import { pollUntil } from '../../support/poll.js';
import { follow, LOOPBACK } from '../../support/oidc-flow.js';
import { aliceEntry, flushAllAudit } from '../../support/sigil.js';

export const BOB = {
  username: 'bob',
  email: 'bob@example.com',
  password: 'bob has another password 42',
  userID: '0f6c2d1e-3b4a-4c5d-8e9f-a0b1c2d3e4f5',
};

/** Static users alice (developers, viewers) and bob (ops, system:masters), plus extras. */
export async function users(
  extra: NonNullable<ConfigInput['staticPasswords']> = [],
): Promise<NonNullable<ConfigInput['staticPasswords']>> {
  return [
    await aliceEntry(),
    {
      email: BOB.email,
      hash: await hashPassword(BOB.password),
      username: BOB.username,
      userID: BOB.userID,
      name: 'Bob',
      groups: ['ops', 'system:masters', 'viewers'],
    },
    ...extra,
  ];
}

export interface LoginForm {
  action: string;
  csrf: string;
  connector: string;
  page: Res;
}

/** Starts an authorization request for `clientId` and returns its login form. */
export async function openLogin(
  c: Client,
  clientId = 'kubectl',
  redirectUri = LOOPBACK,
  scope = 'openid email profile groups',
): Promise<LoginForm> {
  const auth = authPath({ clientId, redirectUri, scope, state: 'st', nonce: 'nn' });
  const page = await follow(c, await c.get(auth));
  expect(page.status, page.text.slice(0, 300)).toBe(200);
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(page.text)?.[1];
  if (action === undefined) throw new Error('no login form');
  return {
    action,
    csrf: hiddenInput(page.text, 'csrf'),
    connector: hiddenInput(page.text, 'connector'),
    page,
  };
}

export function submit(
  c: Client,
  f: LoginForm,
  username: string,
  password: string,
  headers?: Record<string, string>,
): Promise<Res> {
  return c.post(f.action, { csrf: f.csrf, connector: f.connector, username, password }, headers);
}

export interface AuditRow {
  id: string;
  at: Date;
  event: string;
  outcome: string;
  username: string | null;
  sub: string | null;
  client_id: string | null;
  ip: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

export async function auditRows(db: Queryable, where = 'true', params: string[] = []) {
  // Rows are written in batches: the queued ones first.
  await flushAllAudit();
  const { rows } = await db.query<AuditRow>(
    `SELECT id::text, at, event, outcome, username, sub, client_id, ip, reason, details
       FROM audit_events WHERE ${where} ORDER BY audit_events.at, audit_events.id`,
    params,
  );
  return rows;
}

/**
 * Audit rows of provider events are written right after the response: polls `auditRows` until
 * `ok` holds for them (default: there is one), failing after 5 s with what it last saw.
 */
export function awaitAuditRows(
  db: Queryable,
  where: string,
  ok: (rows: AuditRow[]) => boolean = (rows) => rows.length > 0,
): Promise<AuditRow[]> {
  return pollUntil(() => auditRows(db, where), ok, {
    what: `audit rows where ${where}`,
    timeoutMs: 5000,
  });
}
