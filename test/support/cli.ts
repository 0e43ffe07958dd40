import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const MAIN = join(ROOT, 'dist', 'main.js');

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
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    output: () => out,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          const m = re.exec(out);
          if (m !== null) return resolve(m);
          if (proc.exitCode !== null)
            return reject(new Error(`sigil exited (${proc.exitCode}) before ${re}: ${out}`));
          if (Date.now() - started > timeoutMs)
            return reject(new Error(`timed out waiting for ${re}: ${out}`));
          setTimeout(tick, 50);
        };
        tick();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}
