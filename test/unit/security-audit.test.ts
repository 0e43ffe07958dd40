import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatAuditLine, parseWhen } from '../../src/cli/audit.js';
import { AppError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { cleanText, createAudit, scrubDetails, scrubEvent } from '../../src/security/index.js';
import type { Queryable } from '../../src/storage/index.js';

const JWT =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MX0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl';

describe('audit scrubbing', () => {
  it('drops secret-bearing keys at any depth', () => {
    expect(
      scrubDetails({
        grantType: 'password',
        password: 'hunter2',
        nested: { refresh_token: 'r', Client_Secret: 's', code: 'c', kept: 1 },
        list: [{ access_token: 'a', ok: true }],
      }),
    ).toEqual({ grantType: 'password', nested: { kept: 1 }, list: [{ ok: true }] });
  });

  it('cuts JWT-shaped strings, control characters and long values', () => {
    expect(cleanText(`token ${JWT} end`)).toBe('token [jwt] end');
    expect(cleanText('a\u0000b\r\nc\u2028d')).toBe('abcd');
    expect(cleanText('x'.repeat(300), 10)).toBe(`${'x'.repeat(10)}…`);
  });

  it('bounds arrays and depth', () => {
    const out = scrubDetails({ groups: Array.from({ length: 1005 }, (_, i) => `g${i}`) }) as {
      groups: string[];
    };
    expect(out.groups).toHaveLength(1001);
    expect(out.groups.at(-1)).toBe('[+5 more]');
    expect(scrubDetails({ a: { b: { c: { x: { y: 1 } } } } })).toEqual({
      a: { b: { c: { x: '[nested]' } } },
    });
  });

  it('cleans the columns of an event', () => {
    const e = scrubEvent({
      event: 'login',
      outcome: 'failure',
      username: 'alice\u0000',
      ip: '::ffff:10.0.0.1',
      reason: 'bad_password',
      details: { password: 'x' },
    });
    expect(e).toEqual({
      event: 'login',
      outcome: 'failure',
      username: 'alice',
      sub: undefined,
      clientId: undefined,
      ip: '10.0.0.1',
      reason: 'bad_password',
      details: {},
    });
  });
});

describe('sigil audit output', () => {
  it('prints one line with fixed columns and the details that matter', () => {
    expect(
      formatAuditLine({
        id: '1',
        at: new Date('2026-11-28T10:00:00Z'),
        event: 'token.issued',
        outcome: 'success',
        username: 'alice',
        sub: 's',
        clientId: 'kubectl',
        ip: '10.0.0.1',
        reason: undefined,
        details: { grantType: 'authorization_code', groups: ['dev', 'ops'], kid: 'k1', other: 'x' },
      }),
    ).toBe(
      '2026-11-28T10:00:00.000Z  token.issued  success  user=alice  client=kubectl  ip=10.0.0.1  reason=-  grantType=authorization_code  groups=dev,ops  kid=k1',
    );
  });

  it('quotes values with spaces so a line stays parseable', () => {
    const line = formatAuditLine({
      id: '2',
      at: new Date(0),
      event: 'login',
      outcome: 'failure',
      username: 'john smith',
      sub: undefined,
      clientId: undefined,
      ip: undefined,
      reason: 'bad_password',
      details: {},
    });
    expect(line).toContain('user="john smith"  client=-  ip=-  reason=bad_password');
  });

  it('reads --since as a duration back or a time', () => {
    const now = new Date('2026-11-28T10:00:00Z');
    expect(parseWhen('24h', now, '--since').toISOString()).toBe('2026-11-27T10:00:00.000Z');
    expect(parseWhen('2026-11-01T00:00:00Z', now, '--since').toISOString()).toBe(
      '2026-11-01T00:00:00.000Z',
    );
    expect(() => parseWhen('soon', now, '--since')).toThrow(/--since: expected a duration/);
  });
});

describe('audit: an event the database cannot take', () => {
  /**
   * A Queryable that fails every insert: a stand-in for the database fault only (the real
   * outage, with a real PostgreSQL stopped, is test/integration/ha/faults.test.ts).
   */
  const failing = (err: Error): Queryable => ({
    query: () => Promise.reject(err),
  });

  async function linesFor(err: Error): Promise<Record<string, unknown>[]> {
    const sink = new PassThrough();
    const chunks: string[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const log = createLogger({ level: 'info', format: 'json', destination: sink });
    const audit = createAudit(failing(err), log);
    await audit.record({ event: 'login', outcome: 'success', username: 'alice' });
    await audit.flush();
    return chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('is still in the log; a database outage is a warning, anything else an error', async () => {
    const outage = await linesFor(new AppError('DB_UNAVAILABLE', 'the database cannot be reached'));
    expect(outage.map((l) => [l['level'], l['msg']])).toEqual([
      [30, 'audit'],
      [40, 'audit event not stored in the database (the log line above has it)'],
    ]);
    expect(outage[0]!['audit']).toMatchObject({ event: 'login', username: 'alice' });

    const bug = await linesFor(new Error('column "x" does not exist'));
    expect(bug.map((l) => l['level'])).toEqual([30, 50]);
  });
});
