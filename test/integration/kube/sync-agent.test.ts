import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSchema } from '../../../src/config/schema/clusters.js';
import {
  buildAuthenticationConfiguration,
  buildDenyRules,
  renderSyncMetrics,
  SyncAgent,
  type DenyEntryInput,
  type FetchResult,
} from '../../../src/kube/index.js';
import { toWire } from '../../../src/http/api/clusters.js';
import { compileClaimRules } from '../../support/cel-claims.js';

/**
 * The agent's own behaviour, round by round, on a real file: what it writes, what it keeps
 * when sigil is gone, and the pruning it does by itself. The network is stood in by a
 * function (a refused connection cannot be ordered from the real sigil at a given round).
 */
const ISSUER = 'https://sigil.example.com';
const cluster = clusterSchema.parse({
  name: 'prod',
  server: 'https://api.example.com:6443',
  clientID: 'kubernetes',
  usernameClaim: 'sub',
});

function envelope(entries: DenyEntryInput[], now: Date): string {
  const config = buildAuthenticationConfiguration({
    issuer: ISSUER,
    cluster,
    deny: buildDenyRules(entries, now).rules,
  });
  return JSON.stringify({
    apiVersion: 'sigil.dev/v1',
    kind: 'ClusterAuthenticationConfig',
    cluster: 'prod',
    issuer: ISSUER,
    generatedAt: now.toISOString(),
    authenticationConfiguration: config,
    revocations: entries.map(toWire),
    summary: { entries: entries.length, sessions: 0, subjects: entries.length, windows: 0 },
  });
}

describe('sigil kube sync, round by round', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigil-sync-agent-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the last file while sigil is unreachable, prunes what expires, backs off, and recovers', async () => {
    let now = new Date('2026-12-05T10:00:00Z');
    const revoked: DenyEntryInput = {
      kind: 'subject',
      sub: 'alice',
      notBefore: now,
      createdAt: now,
      keepUntil: new Date(now.getTime() + 60_000),
    };
    let answer: () => Promise<FetchResult> = () =>
      Promise.resolve({ status: 200, etag: '"1"', body: envelope([revoked], now) });
    const lines: string[] = [];
    const log = {
      info: () => undefined,
      warn: (_o: object, m: string) => lines.push(m),
      error: (_o: object, m: string) => lines.push(m),
    };
    const out = join(dir, 'config.yaml');
    const agent = new SyncAgent({
      cluster: 'prod',
      server: new URL(ISSUER),
      secret: 's',
      out,
      intervalMs: 5000,
      log,
      now: () => now,
      fetch: () => answer(),
    });
    const rulesIn = async () => {
      const c = parse(await readFile(out, 'utf8')) as {
        jwt: { claimValidationRules?: { expression: string; message: string }[] }[];
      };
      return compileClaimRules(c.jwt[0]?.claimValidationRules ?? []);
    };
    const aliceToken = { sub: 'alice', iat: Math.floor(now.getTime() / 1000) - 10 };

    expect(await agent.tick()).toEqual({ ok: true, written: true });
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    expect((await rulesIn()).evaluate(aliceToken).allowed).toBe(false);
    expect(await agent.tick()).toEqual({ ok: true, written: false });

    // sigil goes away: the file stays as it is, the status says so, the delay grows.
    answer = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:443'));
    now = new Date(now.getTime() + 30_000);
    expect(await agent.tick()).toEqual({ ok: false, written: false });
    expect((await rulesIn()).evaluate(aliceToken).allowed).toBe(false);
    expect(agent.status).toMatchObject({ up: false, consecutiveFailures: 1, entries: 1 });
    expect(agent.nextDelayMs()).toBe(10_000);
    await agent.tick();
    expect(agent.nextDelayMs()).toBe(20_000);
    expect(lines.some((l) => l.includes('keeping the last file'))).toBe(true);
    const metrics = renderSyncMetrics('prod', agent.status);
    expect(metrics).toContain('sigil_kube_sync_up{cluster="prod"} 0');
    expect(metrics).toContain('sigil_kube_sync_consecutive_failures{cluster="prod"} 2');

    // Its entry expires while sigil is still away: the agent prunes it itself.
    now = new Date(now.getTime() + 31_000);
    expect(await agent.tick()).toEqual({ ok: false, written: true });
    expect((await rulesIn()).evaluate(aliceToken).allowed).toBe(true);
    expect(agent.status.entries).toBe(0);

    // sigil is back with an unchanged answer (304): up again, the normal interval.
    answer = () => Promise.resolve({ status: 304 });
    expect(await agent.tick()).toEqual({ ok: true, written: false });
    expect(agent.status).toMatchObject({ up: true, consecutiveFailures: 0 });
    expect(agent.nextDelayMs()).toBe(5000);
  });
});
