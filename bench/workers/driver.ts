import { readFileSync, writeFileSync } from 'node:fs';
import { report, workerParams } from '../lib/children.js';
import { deviceLogin, login, refresh, type FlowClient, type User } from '../lib/flows.js';
import { agent, Browser, FlowError } from '../lib/http.js';
import { password, username } from '../lib/ldif.js';
import { Recorder, type Latency } from '../lib/stats.js';

/**
 * The flow driver (a process of its own): runs login, refresh or device flows against one or
 * more bases with bounded concurrency until a deadline, closed-loop (as fast as answers come)
 * or open-loop at a fixed rate (latency counted from each flow's scheduled start, so a slow
 * server cannot hide its queueing: no coordinated omission).
 */
export interface DriverParams {
  mode: 'login' | 'refresh' | 'device' | 'prepare';
  bases: string[];
  caFile: string;
  client: FlowClient;
  /** Users firstUser .. firstUser+users-1, each flow the next one (distinct users). */
  firstUser: number;
  users: number;
  concurrency: number;
  durationMs: number;
  /** Open loop: flows started per second. */
  rate?: number;
  /** refresh: chains read from and written back to this file; prepare: written. */
  chainsFile?: string;
  /** prepare: how many logins (each one refresh chain). */
  prepare?: number;
}

export interface Chain {
  refreshToken: string;
}

export interface DriverResult {
  mode: DriverParams['mode'];
  completed: number;
  started: number;
  errors: number;
  errorKinds: Record<string, number>;
  firstErrors: string[];
  elapsedMs: number;
  rate: number;
  flow: Latency;
  request: Latency;
  requests: number;
  cpuMs: number;
}

const p = workerParams<DriverParams>();
const ca = readFileSync(p.caFile, 'utf8');
const pool = agent(ca, Math.max(p.concurrency, 1) * 2);
const flowLatency = new Recorder();
const requestLatency = new Recorder();
const errorKinds: Record<string, number> = {};
const firstErrors: string[] = [];
let completed = 0;
let started = 0;
let errors = 0;
let nextUser = 0;
let nextBase = 0;
let measuring = true;

const onRequest = (ms: number) => {
  if (measuring) requestLatency.record(ms);
};
const base = () => p.bases[nextBase++ % p.bases.length]!;
const user = (): User => {
  const i = p.firstUser + (nextUser++ % p.users);
  return { username: username(i), password: password(i) };
};

const chains: Chain[] =
  p.mode === 'refresh' && p.chainsFile !== undefined
    ? (JSON.parse(readFileSync(p.chainsFile, 'utf8')) as Chain[])
    : [];
const idle = [...chains];
const waiting: ((c: Chain | undefined) => void)[] = [];
const produced: Chain[] = [];

/** An idle chain; waits while all are in use; undefined once none is left. */
function takeChain(): Promise<Chain | undefined> {
  const chain = idle.pop();
  if (chain !== undefined || chains.length === 0) return Promise.resolve(chain);
  return new Promise((resolve) => waiting.push(resolve));
}

function giveBack(chain: Chain | undefined): void {
  if (chain !== undefined) {
    const next = waiting.shift();
    if (next === undefined) idle.push(chain);
    else next(chain);
    return;
  }
  // A chain was dropped: if none are left, nobody waiting will ever get one.
  if (chains.length === 0) for (const w of waiting.splice(0)) w(undefined);
}

class NoChainsLeft extends Error {}
/** Every refresh chain failed: the run ends early, its errors say why. */
let exhausted = false;

function failed(err: unknown): void {
  errors++;
  const kind = err instanceof FlowError ? err.kind : err instanceof Error ? err.message : 'error';
  errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  if (firstErrors.length < 5) firstErrors.push(err instanceof Error ? err.message : String(err));
}

async function oneFlow(deadline: number): Promise<void> {
  const b = new Browser(base(), pool, onRequest);
  switch (p.mode) {
    case 'login':
      await login(b, p.client, user());
      return;
    case 'prepare': {
      const t = await login(b, p.client, user());
      if (t.refreshToken === undefined) throw new FlowError('login gave no refresh token');
      produced.push({ refreshToken: t.refreshToken });
      return;
    }
    case 'device':
      await deviceLogin(b, p.client, user(), deadline);
      return;
    case 'refresh': {
      const chain = await takeChain();
      if (chain === undefined) throw new NoChainsLeft('every refresh chain failed');
      try {
        await refresh(b, p.client, chain);
        giveBack(chain);
      } catch (err) {
        // A failed refresh leaves the chain unusable (its token may be consumed): drop it.
        chains.splice(chains.indexOf(chain), 1);
        giveBack(undefined);
        throw err;
      }
    }
  }
}

async function timed(scheduled: number, deadline: number): Promise<void> {
  started++;
  try {
    await oneFlow(deadline);
    const end = performance.now();
    if (end <= deadline) {
      completed++;
      flowLatency.record(end - scheduled);
    }
  } catch (err) {
    if (err instanceof NoChainsLeft) exhausted = true;
    else if (performance.now() <= deadline) failed(err);
  }
}

async function closedLoop(deadline: number, limit: number): Promise<void> {
  let begun = 0;
  await Promise.all(
    Array.from({ length: p.concurrency }, async () => {
      while (performance.now() < deadline && begun < limit && !exhausted) {
        begun++;
        await timed(performance.now(), deadline);
      }
    }),
  );
}

async function openLoop(start: number, deadline: number, rate: number): Promise<void> {
  const inflight = new Set<Promise<void>>();
  for (let k = 0; ; k++) {
    const scheduled = start + (k * 1000) / rate;
    if (scheduled >= deadline || exhausted) break;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inflight.size >= p.concurrency) await Promise.race(inflight);
    const flow = timed(scheduled, deadline).finally(() => inflight.delete(flow));
    inflight.add(flow);
  }
  await Promise.all(inflight);
}

const cpu0 = process.cpuUsage();
const start = performance.now();
const deadline = start + p.durationMs;
if (p.rate !== undefined) await openLoop(start, deadline, p.rate);
else await closedLoop(deadline, p.mode === 'prepare' ? (p.prepare ?? 0) : Infinity);
const end = Math.min(performance.now(), deadline);
measuring = false;
const cpu = process.cpuUsage(cpu0);

if (p.chainsFile !== undefined) {
  if (p.mode === 'prepare') writeFileSync(p.chainsFile, JSON.stringify(produced));
  if (p.mode === 'refresh') writeFileSync(p.chainsFile, JSON.stringify(chains));
}
pool.destroy();
const elapsedMs = p.mode === 'prepare' ? performance.now() - start : end - start;
report({
  mode: p.mode,
  completed,
  started,
  errors,
  errorKinds,
  firstErrors,
  elapsedMs: Math.round(elapsedMs),
  rate: Math.round((completed / elapsedMs) * 1000 * 10) / 10,
  flow: flowLatency.summary(),
  request: requestLatency.summary(),
  requests: requestLatency.count,
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
} satisfies DriverResult);
