import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runAsync as run } from './process.js';

/**
 * The Go go-oidc verifier (test/interop/go-verifier): github.com/coreos/go-oidc, the library
 * behind kube-apiserver's OIDC authenticator, from Debian's golang-github-coreos-go-oidc-dev,
 * built offline in GOPATH mode. It fetches discovery and JWKS over https trusting only the
 * given CA, and verifies signature, issuer, audience and expiry as the API server does.
 */
const GO_VERIFIER_SRC = join(import.meta.dirname, '..', 'interop', 'go-verifier');
const GOPATH_DEBIAN = '/usr/share/gocode';

export type GoVerdict =
  { ok: true; claims: Record<string, unknown> } | { ok: false; error: string };

const GO_OIDC = join(GOPATH_DEBIAN, 'src', 'github.com', 'coreos', 'go-oidc');

/** What the binary is built from: the program's sources, go-oidc's, and the Go toolchain. */
function buildKey(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(GO_VERIFIER_SRC).sort())
    h.update(f).update(readFileSync(join(GO_VERIFIER_SRC, f)));
  for (const f of [
    '/usr/bin/go',
    ...readdirSync(GO_OIDC)
      .sort()
      .map((x) => join(GO_OIDC, x)),
  ]) {
    const st = statSync(f);
    h.update(`${f} ${st.size} ${st.mtimeMs}`);
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Builds the verifier offline (GOPATH mode against Debian's /usr/share/gocode, no module
 * proxy) once per source: the binary is kept in the temp dir under a hash of what it is built
 * from, so test files and later runs reuse it (a build takes many seconds of CPU).
 */
async function buildOnce(): Promise<string> {
  if (!existsSync('/usr/bin/go'))
    throw new Error('golang-go is not installed (/usr/bin/go): run scripts/test-all.sh as root');
  if (!existsSync(GO_OIDC))
    throw new Error(
      'golang-github-coreos-go-oidc-dev is not installed: run scripts/test-all.sh as root',
    );
  const out = join(tmpdir(), `sigil-go-verifier-${buildKey()}`, 'go-verifier');
  if (existsSync(out)) return out;
  const dir = mkdtempSync(join(tmpdir(), 'sigil-go-verifier-build-'));
  try {
    const r = await run('/usr/bin/go', ['build', '-o', join(dir, 'go-verifier'), '.'], {
      cwd: GO_VERIFIER_SRC,
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
    if (r.code !== 0) throw new Error(`go build of go-verifier failed:\n${r.stderr}`);
    // Test files build in parallel: the rename is atomic, the last one wins, both binaries work.
    mkdirSync(dirname(out), { recursive: true });
    renameSync(join(dir, 'go-verifier'), out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let built: Promise<string> | undefined;

/**
 * The verifier's binary, built on first use. Run with `-stream` it verifies a stream of
 * tokens with one long-lived verifier (test/integration/ha).
 */
export function buildGoVerifier(): Promise<string> {
  built ??= buildOnce();
  return built;
}

/** The verifier's arguments: kube-apiserver's `--oidc-issuer-url`, `--oidc-ca-file`, `--oidc-client-id`. */
export function goVerifierArgs(
  issuer: string,
  caFile: string,
  clientId: string,
  signingAlgs: readonly string[] = ['RS256'],
): string[] {
  return ['-issuer', issuer, '-ca', caFile, '-client-id', clientId, '-algs', signingAlgs.join(',')];
}

/**
 * Verifies `token` as kube-apiserver would. `at`: check expiry as of this time (Unix seconds)
 * instead of the clock, to show an expired token refused without waiting for it to expire.
 */
export async function verifyWithGo(
  issuer: string,
  caFile: string,
  clientId: string,
  token: string,
  opts: { signingAlgs?: readonly string[]; at?: number } = {},
): Promise<GoVerdict> {
  const bin = await buildGoVerifier();
  const r = await run(
    bin,
    [
      ...goVerifierArgs(issuer, caFile, clientId, opts.signingAlgs),
      ...(opts.at === undefined ? [] : ['-now', String(opts.at)]),
    ],
    { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, input: token, timeoutMs: 30_000 },
  );
  if (r.code === 0) return { ok: true, claims: JSON.parse(r.stdout) as Record<string, unknown> };
  return { ok: false, error: r.stderr.trim() };
}
