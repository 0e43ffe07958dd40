import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from './poll.js';
import { runAsync } from './process.js';

export const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');

function requireBuild(): void {
  if (!existsSync(MAIN))
    throw new Error('dist/main.js is missing: run `npm run build` first (npm run test:all does)');
}

/** Runs `sigil ARGS` to completion on the same Node as the tests. */
export function sigil(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): { status: number | null; stdout: string; stderr: string } {
  requireBuild();
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd ?? ROOT,
    input: opts.input ?? '',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `sigil ARGS` to completion without blocking the event loop (for a sigil serving in this process). */
export async function sigilAsync(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  requireBuild();
  const r = await runAsync(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...opts.env },
    cwd: ROOT,
  });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

export interface Spawned {
  proc: ChildProcessWithoutNullStreams;
  output: () => string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `sigil ARGS` in the background and collects stdout+stderr. */
export function spawnSigil(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Spawned {
  requireBuild();
  const proc = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd ?? ROOT,
  });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  // 'close', not 'exit': by then every byte the process wrote has been read.
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  return {
    proc,
    output: () => out,
    exited,
    async waitFor(re, timeoutMs = 60_000) {
      await pollUntil(
        () => out,
        (o) => re.test(o),
        {
          what: `${String(re)} in sigil's output`,
          timeoutMs,
          abort: () =>
            proc.exitCode === null ? undefined : `sigil exited (${proc.exitCode}): ${out}`,
        },
      );
      return re.exec(out)!;
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}
