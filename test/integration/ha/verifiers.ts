import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildGoVerifier, goVerifierArgs } from '../../support/go-verifier.js';

/**
 * Long-running token verifiers as child processes that read one token per line and answer one
 * line per token, in order: jose with a cached JWKS (jwks-verifier.js, trusting the test CA
 * through NODE_EXTRA_CA_CERTS) and go-oidc as kube-apiserver uses it (go-verifier -stream).
 */
export interface LineVerifier {
  /** The first line the verifier printed (it prints one when it is ready). */
  readonly banner: string;
  verify(token: string): Promise<string>;
  close(): Promise<void>;
}

function startLineProcess(proc: ChildProcessWithoutNullStreams): Promise<LineVerifier> {
  const waiting: ((line: string) => void)[] = [];
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const lines = createInterface({ input: proc.stdout });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let banner: string | undefined;
    lines.on('line', (line) => {
      if (banner === undefined) {
        banner = line;
        resolve({
          banner,
          verify(token) {
            return new Promise((res) => {
              waiting.push(res);
              proc.stdin.write(`${token}\n`);
            });
          },
          async close() {
            proc.stdin.end();
            const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(timer);
          },
        });
        return;
      }
      waiting.shift()?.(line);
    });
    proc.on('exit', (code) => {
      if (banner === undefined) reject(new Error(`verifier exited (${code}): ${stderr}`));
      for (const w of waiting.splice(0)) w(`error verifier exited: ${stderr}`);
    });
  });
}

export function startJoseVerifier(issuer: string, caFile: string, audience: string) {
  const proc = spawn(
    process.execPath,
    [join(import.meta.dirname, 'jwks-verifier.js'), issuer, audience],
    {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
    },
  );
  return startLineProcess(proc);
}

/** go-oidc as kube-apiserver keeps it: one long-lived verifier (go-verifier -stream). */
export async function startGoVerifier(issuer: string, caFile: string, clientId: string) {
  const proc = spawn(
    await buildGoVerifier(),
    [...goVerifierArgs(issuer, caFile, clientId), '-stream'],
    { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } },
  );
  return startLineProcess(proc);
}
