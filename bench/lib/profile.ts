import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowRun, type Target } from './load.js';
import type { Context } from './phases.js';
import { keepProfile } from './phases.js';
import type { RunningSigil } from './sigil.js';
import { round } from './stats.js';

/**
 * Where sigil's CPU time goes (BENCH_PROFILE=1): a sigil started with --cpu-prof serves one
 * refresh run and another one login run; each profile is summed by owner (sigil's own code in
 * dist/, each npm package, Node's internals, GC) as self time and as time on the stack.
 */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by owner, % of all samples (idle excluded). */
  selfByOwner: Record<string, number>;
  /** Time with the owner anywhere on the stack, %. */
  onStackByOwner: Record<string, number>;
  /**
   * Each sample charged to the nearest frame on its stack that is a package or sigil's own code
   * (so a socket write is charged to pg, ldapts or the HTTP layer that asked for it), %.
   */
  byNearestOwner: Record<string, number>;
  /** Heaviest functions by self time, %. */
  topFunctions: { fn: string; pct: number }[];
  file?: string;
}

function owner(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  const dist = /\/dist\/(.+)\.js$/.exec(url)?.[1];
  if (dist !== undefined) return `sigil ${dist.split('/')[0] ?? dist}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  return 'other';
}

/** Sums the profile's samples taken after `skipMs` (process start-up is not what is asked). */
export function summarizeProfile(p: CpuProfile, skipMs = 0): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const ch of n.children ?? []) parent.set(ch, n.id);
  const self = new Map<string, number>();
  const onStack = new Map<string, number>();
  const fns = new Map<string, number>();
  const nearest = new Map<string, number>();
  let total = 0;
  let clock = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    clock += dt;
    const node = byId.get(id);
    if (clock < skipMs * 1000 || node === undefined || node.callFrame.functionName === '(idle)')
      return;
    total += dt;
    const cf = node.callFrame;
    const o = owner(cf.url, cf.functionName);
    self.set(o, (self.get(o) ?? 0) + dt);
    const file = cf.url.split('/').slice(-2).join('/');
    const fn = `${cf.functionName || '(anonymous)'} ${file}:${String(cf.lineNumber + 1)}`;
    fns.set(fn, (fns.get(fn) ?? 0) + dt);
    const seen = new Set<string>();
    let near: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n === undefined) continue;
      const who = owner(n.callFrame.url, n.callFrame.functionName);
      seen.add(who);
      if (near === undefined && !who.startsWith('node:') && !who.startsWith('(') && who !== 'other')
        near = who;
    }
    const charged = near ?? (o.startsWith('(') ? o : 'node (no package on stack)');
    nearest.set(charged, (nearest.get(charged) ?? 0) + dt);
    for (const s of seen) onStack.set(s, (onStack.get(s) ?? 0) + dt);
  });
  const pct = (m: Map<string, number>, top: number) =>
    Object.fromEntries(
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, v]) => [k, round((v / total) * 100, 1)]),
    );
  return {
    totalMs: Math.round(total / 1000),
    selfByOwner: pct(self, 20),
    onStackByOwner: pct(onStack, 20),
    byNearestOwner: pct(nearest, 20),
    topFunctions: Object.entries(pct(fns, 25)).map(([fn, v]) => ({ fn, pct: v })),
  };
}

export async function profilePhase(
  c: Context,
  o: {
    start: (name: string, nodeArgs: string[]) => Promise<RunningSigil>;
    target: Target;
    chainsFile: string;
    resultsDir: string;
  },
): Promise<Record<string, ProfileSummary | { error: string }>> {
  const out: Record<string, ProfileSummary | { error: string }> = {};
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const what of ['refresh', 'login'] as const) {
    c.progress(`profile: sigil --cpu-prof under ${what} load`);
    const dir = join(c.work, `prof-${what}`);
    try {
      const sg = await o.start(`prof-${what}`, ['--cpu-prof', '--cpu-prof-dir', dir]);
      const t: Target = { ...o.target, bases: [sg.url], watched: [] };
      await flowRun(t, c.caFile, what, {
        concurrency: what === 'refresh' ? c.s.refreshConcurrency : c.s.loginConcurrency,
        durationMs: c.s.flowMs,
        firstUser: what === 'refresh' ? 1 : c.s.chains + 1,
        users: what === 'refresh' ? c.s.chains : c.s.users - c.s.chains,
        ...(what === 'refresh' ? { chainsFile: o.chainsFile } : {}),
      });
      await sg.stop();
      const name = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (name === undefined) throw new Error('no .cpuprofile written');
      // Start-up and the first second of load (JIT warm-up) are left out.
      const summary = summarizeProfile(
        JSON.parse(readFileSync(join(dir, name), 'utf8')) as CpuProfile,
        sg.startMs + 1000,
      );
      const kept = keepProfile(
        join(dir, name),
        join(o.resultsDir, `${stamp}-${what}.cpuprofile.json`),
      );
      out[what] = { ...summary, ...(kept === undefined ? {} : { file: kept }) };
    } catch (err) {
      out[what] = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  return out;
}
