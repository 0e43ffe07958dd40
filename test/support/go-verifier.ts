import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The Go go-oidc verifier (test/interop/go-verifier): github.com/coreos/go-oidc, the library
 * behind kube-apiserver's OIDC authenticator, from Debian's golang-github-coreos-go-oidc-dev,
 * built offline in GOPATH mode. It fetches discovery and JWKS over https trusting only the
 * given CA, and verifies signature, issuer, audience and expiry as the API server does.
 */
export const GO_VERIFIER_SRC = join(import.meta.dirname, '..', 'interop', 'go-verifier');
const GOPATH_DEBIAN = '/usr/share/gocode';

export type GoVerdict =
  { ok: true; claims: Record<string, unknown> } | { ok: false; error: string };

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Asynchronous on purpose: the sigil under test runs in this process, so a synchronous
  // child would block the very server it is talking to.
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

let built: Promise<string> | undefined;

/**
 * Builds a Go program (a directory of package main) offline into a temp dir: GOPATH mode
 * against Debian's /usr/share/gocode, no module proxy. Returns the binary's path.
 */
export async function buildGoProgram(srcDir: string, name: string): Promise<string> {
  if (!existsSync('/usr/bin/go'))
    throw new Error('golang-go is not installed (/usr/bin/go): run scripts/test-all.sh as root');
  if (!existsSync(join(GOPATH_DEBIAN, 'src', 'github.com', 'coreos', 'go-oidc')))
    throw new Error(
      'golang-github-coreos-go-oidc-dev is not installed: run scripts/test-all.sh as root',
    );
  const dir = mkdtempSync(join(tmpdir(), `sigil-${name}-`));
  const out = join(dir, name);
  const r = await run('/usr/bin/go', ['build', '-o', out, '.'], {
    cwd: srcDir,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: dir,
      GO111MODULE: 'off',
      GOPATH: `${GOPATH_DEBIAN}:${join(dir, 'gopath')}`,
      GOCACHE: join(dir, 'cache'),
      GOFLAGS: '',
      GOPROXY: 'off',
      CGO_ENABLED: '0',
    },
    timeoutMs: 180_000,
  });
  if (r.code !== 0) throw new Error(`go build of ${name} failed:\n${r.stderr}`);
  return out;
}

/** Builds the verifier once (per test file: vitest isolates modules) into a temp dir. */
export function buildGoVerifier(): Promise<string> {
  built ??= buildGoProgram(GO_VERIFIER_SRC, 'go-verifier');
  return built;
}

/** Verifies `token` as kube-apiserver would with `--oidc-issuer-url`, `--oidc-ca-file`, `--oidc-client-id`. */
export async function verifyWithGo(
  issuer: string,
  caFile: string,
  clientId: string,
  token: string,
  opts: { signingAlgs?: readonly string[] } = {},
): Promise<GoVerdict> {
  const bin = await buildGoVerifier();
  const r = await run(
    bin,
    [
      '-issuer',
      issuer,
      '-ca',
      caFile,
      '-client-id',
      clientId,
      '-algs',
      (opts.signingAlgs ?? ['RS256']).join(','),
    ],
    { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, input: token, timeoutMs: 30_000 },
  );
  if (r.code === 0) return { ok: true, claims: JSON.parse(r.stdout) as Record<string, unknown> };
  return { ok: false, error: r.stderr.trim() };
}
