// A verifier that caches the JWKS, run as a child process so that it trusts the test CA the
// way a real one would (NODE_EXTRA_CA_CERTS) and uses jose's own fetch.
//
// Usage: node jwks-verifier.js ISSUER AUDIENCE
// Reads one id_token per line on stdin; writes one JSON line per token:
//   {"remote": "ok" | error, "strict": "ok" | error, "kid": ...}
// - remote: jose createRemoteJWKSet with cacheMaxAge = the JWKS Cache-Control max-age and a
//   24 h cooldown, so an unknown kid never triggers a refetch before the cache expires.
// - strict: its own cache that honours Cache-Control on every fetch and never refetches for an
//   unknown kid at all.
import { createInterface } from 'node:readline';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

const [issuer, audience] = process.argv.slice(2);
const jwksUrl = new URL(`${issuer}/jwks`);

async function fetchJwks() {
  const res = await fetch(jwksUrl);
  if (!res.ok) throw new Error(`jwks: ${res.status}`);
  const cc = res.headers.get('cache-control') ?? '';
  const m = /max-age=(\d+)/.exec(cc);
  return { jwks: await res.json(), maxAgeMs: m ? Number(m[1]) * 1000 : 0, cacheControl: cc };
}

const first = await fetchJwks();
const remote = createRemoteJWKSet(jwksUrl, {
  cacheMaxAge: first.maxAgeMs,
  cooldownDuration: 24 * 3600 * 1000,
});

let strictCache = { keys: createLocalJWKSet(first.jwks), until: Date.now() + first.maxAgeMs };
let fetches = 1;
async function strictKeys() {
  if (Date.now() >= strictCache.until) {
    const f = await fetchJwks();
    fetches++;
    strictCache = { keys: createLocalJWKSet(f.jwks), until: Date.now() + f.maxAgeMs };
  }
  return strictCache.keys;
}

const verify = async (token, keys) => {
  try {
    await jwtVerify(token, keys, { issuer, audience });
    return 'ok';
  } catch (err) {
    return `${err.code ?? 'error'}: ${err.message}`;
  }
};

process.stdout.write(`${JSON.stringify({ ready: true, cacheControl: first.cacheControl })}\n`);
const rl = createInterface({ input: process.stdin });
// One token at a time, in order: the answer lines match the input lines.
for await (const line of rl) {
  const token = line.trim();
  if (token === '') continue;
  const kid = decodeProtectedHeader(token).kid;
  const r = await verify(token, remote);
  const s = await verify(token, await strictKeys());
  process.stdout.write(`${JSON.stringify({ kid, remote: r, strict: s, fetches })}\n`);
}
