import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshGrant } from '../../support/oidc-flow.js';
import { pollUntil } from '../../support/poll.js';
import { startOwnPostgres, type OwnPostgres } from '../../support/postgres.js';
import { login, startCluster, type Cluster } from './cluster.js';
import { failures, startLoad, type LoadEvent } from './load.js';

/**
 * Faults under load, two replicas behind the proxy on a PostgreSQL of the test's own (so it
 * can be stopped): a database restart gives clean 503s and full recovery with no committed
 * refresh token lost; kill -9 of one replica leaves the other serving; SIGTERM drains
 * in-flight requests and exits in bounded time. Needs `npm run build`.
 */
describe('faults with two replicas', () => {
  let pgsql: OwnPostgres;
  let c: Cluster;
  const cleanup: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    const own = await startOwnPostgres();
    if (own === undefined) throw new Error('postgresql binaries are not installed');
    pgsql = own;
    cleanup.push(() => {
      own.stop();
    });
    c = await startCluster({ dbUrl: own.url });
    cleanup.push(() => c.close());
  }, 120_000);
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  const ready = async (i: number) => (await c.direct(i).get('/readyz')).status;
  const stillRefreshes = async (tokens: readonly string[]) => {
    for (const rt of tokens) {
      const r = await refreshGrant(c.client(), rt);
      expect(r.status, `a committed refresh token still works: ${r.text}`).toBe(200);
    }
  };

  it('PostgreSQL restart mid-load: 503s during the outage, none after recovery, nothing committed lost', async () => {
    const load = await startLoad(c, 4);
    await load.untilEachWorker('refreshed before the outage', 3, (e) => e.status === 200);
    expect(failures(load.events)).toEqual([]);

    const haltedAt = Date.now();
    pgsql.halt();
    // Both replicas report not-ready while the database is unreachable.
    for (const i of [0, 1])
      await pollUntil(
        () => ready(i),
        (status) => status === 503,
        {
          what: `replica ${i} /readyz 503 during the outage`,
          timeoutMs: 5000,
          intervalMs: 250,
        },
      );
    // The outage lasts until every worker has met it.
    const afterHalt = (e: LoadEvent) => e.start >= haltedAt;
    await load.untilEachWorker(
      'failed during the outage',
      1,
      (e) => afterHalt(e) && e.status !== 200,
    );
    pgsql.restart();
    const restartedAt = Date.now();

    const firstSuccess = () =>
      load.events.find((e) => e.start > restartedAt && e.status === 200)?.end ?? 0;
    const recoveredAt = await pollUntil(firstSuccess, (at) => at > 0, {
      what: 'a refresh answered after the database came back',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    expect(
      recoveredAt - restartedAt,
      'recovers within seconds of the database coming back',
    ).toBeLessThan(5000);
    // The load goes on until every worker has had three answers a second after the recovery.
    const late = (e: LoadEvent) => e.start > recoveredAt + 1000;
    await load.untilEachWorker('answered a second after the recovery', 3, late);
    await load.stop();

    const during = failures(load.events.filter((e) => e.end >= haltedAt && e.start <= recoveredAt));
    console.log(
      `postgres restart: ${during.length} failed request(s) during the outage (statuses ${JSON.stringify(Object.fromEntries([...new Set(during.map((e) => e.status))].map((st) => [st, during.filter((e) => e.status === st).length])))}, slowest ${Math.max(...during.map((e) => e.end - e.start))} ms), first success ${recoveredAt - restartedAt} ms after the restart, ${load.events.length} requests in all`,
    );
    expect(during.length, 'the outage was seen by the load').toBeGreaterThan(0);
    for (const e of during) {
      expect(e.status, `a clean 503, not a crash or a proxy error: ${e.error ?? ''}`).toBe(503);
      // An OAuth answer a client can act on: retry later (not server_error, "oops").
      expect(JSON.parse(e.error ?? '{}'), e.error).toMatchObject({
        error: 'temporarily_unavailable',
        error_description: expect.stringMatching(/Retry shortly/),
      });
      expect(e.end - e.start, 'no request hangs').toBeLessThan(12_000);
    }
    // Right after recovery a pooled connection may still be a dead one; after a second, nothing.
    const after = failures(load.events.filter(late));
    expect(after, 'no failure a second after recovery').toEqual([]);
    // Every worker got through again (the load is slower when the machine is busy).
    expect(load.events.filter(late).length).toBeGreaterThanOrEqual(4);
    expect(load.events.filter((e) => (e.error ?? '').includes('invalid_grant'))).toEqual([]);
    await stillRefreshes(load.tokens);
    expect([await ready(0), await ready(1)]).toEqual([200, 200]);
    expect(c.replicas.every((r) => r?.proc.exitCode === null)).toBe(true);
  }, 90_000);

  it('kill -9 of one replica mid-load: the other keeps serving, nothing committed is lost', async () => {
    const load = await startLoad(c, 4);
    await load.untilEachWorker('refreshed before the kill', 3, (e) => e.status === 200);
    const victim = c.replicas[1]!;
    victim.proc.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const afterKilled = (e: LoadEvent) => e.start > killedAt;
    await load.untilEachWorker('sent after the kill', 3, afterKilled);
    await load.stop();

    // Only requests that were in flight on the killed replica may fail (the proxy never
    // replays a request that may have been processed); afterwards every request succeeds.
    const bad = failures(load.events);
    for (const e of bad) {
      expect(e.status).toBe(502);
      expect(e.start, 'sent before the replica was gone').toBeLessThanOrEqual(killedAt);
    }
    const afterKill = load.events.filter(afterKilled);
    console.log(
      `kill -9: ${bad.length} in-flight request(s) lost (502), ${afterKill.length} served by the survivor afterwards`,
    );
    expect(bad.length).toBeLessThanOrEqual(4);
    expect(afterKill.length).toBeGreaterThanOrEqual(4);
    expect(afterKill.every((e) => e.status === 200 && e.backend === '0')).toBe(true);
    // A retried refresh whose first answer was lost with the replica still works (grace window).
    await stillRefreshes(load.tokens);
    const t = await login(c);
    expect(t.refresh_token).toBeTruthy();

    await c.start(1); // back to two replicas
    expect(await ready(1)).toBe(200);
  }, 90_000);

  it('SIGTERM drains an in-flight request, refuses new ones (the proxy moves them), exits in bounded time', async () => {
    const t = await login(c);
    const load = await startLoad(c, 3);
    await load.untilEachWorker('refreshed before the signal', 2, (e) => e.status === 200);
    // A request already sent halfway to replica 0 when it is told to stop; `Expect:
    // 100-continue` makes Node say when it has the request (no need to wait and hope).
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: t.refresh_token,
      client_id: 'kubectl',
    }).toString();
    const sock = net.connect(c.ports[0]!, '127.0.0.1');
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    let answer = '';
    sock.on('data', (b: Buffer) => (answer += b.toString('utf8')));
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.write(
      `POST /token HTTP/1.1\r\nHost: ${new URL(c.issuer).host}\r\nX-Forwarded-Proto: https\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n` +
        `Expect: 100-continue\r\n\r\n` +
        body.slice(0, 20),
    );
    const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
    await pollUntil(
      () => answer,
      (a) => a.startsWith(CONTINUE),
      { what: 'replica 0 has the request' },
    );
    const replica = c.replicas[0]!;
    const termAt = Date.now();
    replica.proc.kill('SIGTERM');
    // The one wait on the clock left: the claim is a duration (an open request keeps the
    // process up for at least 1.5 s), and the process's drain timer cannot be moved from here.
    await sleep(1500);
    expect(replica.proc.exitCode, 'still draining the open request').toBeNull();
    sock.write(body.slice(20)); // no half-close: Node aborts a request whose client sent FIN
    await closed;
    const final = answer.slice(CONTINUE.length);
    expect(final).toMatch(/^HTTP\/1\.1 200 /);
    expect(final).toContain('"id_token"');
    const code = await replica.exited;
    const stoppedIn = Date.now() - termAt;
    console.log(`SIGTERM: exited ${code} ${stoppedIn} ms after the signal (open request drained)`);
    expect(code).toBe(0);
    expect(stoppedIn).toBeLessThan(5000);
    const exitedAt = Date.now();
    await load.untilEachWorker('sent after the replica exited', 1, (e) => e.start > exitedAt);
    await load.stop();
    expect(failures(load.events)).toEqual([]); // refused connections went to the other replica
    expect(c.proxy.retried.count).toBeGreaterThan(0);
    expect(replica.output()).toContain('shutting down: draining requests');
  }, 60_000);
});
