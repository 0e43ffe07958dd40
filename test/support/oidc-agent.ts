import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './poll.js';
import { stopChild } from './process.js';

/**
 * A private oidc-agent (Debian `oidc-agent-cli`) for tests: its own HOME, XDG and TMPDIR in a
 * temp directory, its own socket, run in the foreground (`--console`) so the test owns its pid.
 * oidc-gen and oidc-token run against it with `env`.
 */
export interface OidcAgent {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** A file holding `pem` (for `--cert-path`). */
  writeCa(pem: string): string;
  /** Runs one of the oidc-agent tools to completion. */
  run(cmd: string, args: readonly string[], timeoutMs?: number): Promise<ToolResult>;
  /** Starts a tool and returns at once (oidc-gen's device flow waits for the person). */
  start(cmd: string, args: readonly string[]): RunningTool;
  stop(): Promise<void>;
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningTool {
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with the first match of `re` in the output; rejects if the tool exits first. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  readonly done: Promise<ToolResult>;
  kill(): void;
}

function startTool(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): RunningTool {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of listeners) l();
  };
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    out += c.toString('utf8');
    notify();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    out += c.toString('utf8');
    notify();
  });
  let exited = false;
  const done = new Promise<ToolResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      exited = true;
      notify();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    output: () => out,
    done,
    kill: () => {
      if (!exited && child.pid !== undefined) child.kill('SIGTERM');
    },
    waitFor(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m !== null) {
            cleanup();
            resolve(m);
          } else if (exited) {
            cleanup();
            reject(new Error(`${cmd} exited before printing ${String(re)}:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${cmd} did not print ${String(re)} in ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

export async function startOidcAgent(
  opts: { alwaysAllowIdToken?: boolean } = {},
): Promise<OidcAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-oidc-agent-'));
  const home = join(dir, 'home');
  const run = join(dir, 'run');
  mkdirSync(home, { recursive: true });
  mkdirSync(run, { recursive: true, mode: 0o700 });
  const sock = join(run, 'agent.sock');
  const base: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_RUNTIME_DIR: run,
    TMPDIR: run,
    LANG: 'C.UTF-8',
  };
  const args = ['--console', `--socket-path=${sock}`, '--no-autoreauthenticate'];
  if (opts.alwaysAllowIdToken === true) args.push('--always-allow-idtoken');
  const agent = spawn('oidc-agent', args, { env: base, stdio: ['ignore', 'pipe', 'pipe'] });
  let agentOut = '';
  agent.stdout.on('data', (c: Buffer) => (agentOut += c.toString('utf8')));
  agent.stderr.on('data', (c: Buffer) => (agentOut += c.toString('utf8')));
  try {
    await waitUntil(() => existsSync(sock), {
      what: `oidc-agent's socket ${sock}`,
      timeoutMs: 10_000,
      abort: () => (agent.exitCode === null ? undefined : `exited with ${agent.exitCode}`),
    });
  } catch (err) {
    agent.kill('SIGTERM');
    throw new Error(`${(err as Error).message}\n${agentOut}`);
  }
  const env: NodeJS.ProcessEnv = {
    ...base,
    OIDC_SOCK: sock,
    ...(agent.pid === undefined ? {} : { OIDCD_PID: String(agent.pid) }),
  };
  return {
    dir,
    env,
    writeCa(pem) {
      const file = join(dir, 'ca.pem');
      writeFileSync(file, pem);
      return file;
    },
    start: (cmd, a) => startTool(cmd, a, env),
    async run(cmd, a, timeoutMs = 30_000) {
      const t = startTool(cmd, a, env);
      const timer = setTimeout(() => t.kill(), timeoutMs);
      try {
        return await t.done;
      } finally {
        clearTimeout(timer);
      }
    },
    async stop() {
      await stopChild(agent);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
