import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exited, stopChild } from '../../test/support/process.js';

/**
 * Child processes of the bench: every one is tracked so that a normal end, an error or Ctrl-C
 * leaves nothing running. Workers print one `BENCH_RESULT <json>` line when they are done.
 */

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(BENCH_DIR, '..');
const HOOKS = join(BENCH_DIR, 'ts-hooks.js');
const RESULT = 'BENCH_RESULT ';

const live = new Set<ChildProcess>();
const cleanups: (() => Promise<void> | void)[] = [];

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Runs last-in first-out when the bench ends, however it ends. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** Set once cleanup starts: nothing new is spawned after that (Ctrl-C mid-run). */
let stopping = false;

export async function cleanupAll(): Promise<void> {
  stopping = true;
  for (let fn = cleanups.pop(); fn !== undefined; fn = cleanups.pop()) {
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`bench: cleanup failed: ${String(err)}\n`);
    }
  }
  await Promise.all([...live].map((c) => stopChild(c, 3000)));
}

/** Last resort on process exit: whatever is still alive gets SIGKILL (synchronous). */
export function killAllNow(): void {
  for (const c of live) if (!exited(c)) c.kill('SIGKILL');
}

/** Node arguments that run a bench TypeScript file on this Node (22, type stripping). */
export function tsArgs(script: string, extra: readonly string[] = []): string[] {
  return ['--import', HOOKS, ...extra, join(BENCH_DIR, script)];
}

export function spawnNode(args: string[], opts: SpawnOptions = {}): ChildProcess {
  if (stopping) throw new Error('the bench is stopping');
  return track(spawn(process.execPath, args, { cwd: ROOT, ...opts }));
}

function collect<T>(child: ChildProcess, script: string, timeoutMs: number): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish within ${String(timeoutMs)} ms`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(RESULT));
      if (code === 0 && line !== undefined) {
        resolvePromise(JSON.parse(line.slice(RESULT.length)) as T);
        return;
      }
      reject(
        new Error(
          `${script} exited ${String(code ?? signal)}${line === undefined ? ' without a result' : ''}: ${out.slice(-500)}`,
        ),
      );
    });
  });
}

/** Spawns `script` with `params` as its one argument (JSON) and waits for its result. */
export function worker<T>(
  script: string,
  params: unknown,
  opts: { timeoutMs: number; onSpawn?: (pid: number) => void },
): Promise<T> {
  const child = spawnNode([...tsArgs(script), JSON.stringify(params)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  return collect<T>(child, script, opts.timeoutMs);
}

/** In a worker: the JSON params given on the command line. */
export function workerParams<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('worker: missing params argument');
  return JSON.parse(raw) as T;
}

/** In a worker: report the result and exit. */
export function report(result: unknown): void {
  process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`, () => process.exit(0));
}

const TICK_MS = 10; // Linux USER_HZ is 100 on every distribution this runs on.

/** CPU time (user + system) a process has used so far, in ms; 0 when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Resident set size in MB; 0 when the process is gone. */
export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) / 1024;
  } catch {
    return 0;
  }
}

/** `pid` and its direct children (PostgreSQL's backends are children of the postmaster). */
export function withChildren(pid: number): number[] {
  const out = [pid];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
