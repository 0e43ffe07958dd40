import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify } from 'jose';
import { report, workerParams } from '../lib/children.js';
import type { FlowClient } from '../lib/flows.js';
import { agent, oneLine } from '../lib/http.js';
import { Recorder, type Latency } from '../lib/stats.js';

/**
 * Virtual users for the fault phases (a process of its own): each one holds one refresh-token
 * chain and refreshes it in a loop with a pause, as kubectl does for a user, against the bases
 * in turn (round robin per request), sending what kubelogin's token client sends. A 200 answer
 * is a committed token: the user keeps the new refresh token. A failed request keeps the
 * previous one and tries it again after `retryMs`.
 * Every id_token issued is verified at once by a verifier that caches the JWKS: jose's remote
 * key set with the cache lifetime sigil advertises (Cache-Control max-age) and a 24 h cooldown,
 * so a kid it does not know never triggers a refetch before the cache expires.
 *
 * Runs until `durationMs`, SIGUSR2 (the phase says stop), or (rotation) once `untilKids` keys
 * have signed and `settleMs` have passed since the newest appeared. Then every chain is
 * refreshed once more: a chain that no longer refreshes lost a committed token.
 */
export interface ChainsParams {
  bases: string[];
  caFile: string;
  client: FlowClient;
  /** Refresh tokens, one per virtual user (written back at the end). */
  chainsFile: string;
  pauseMs: number;
  retryMs: number;
  durationMs: number;
  verify: { issuer: string; audience: string; jwksPath: string };
  untilKids?: number;
  settleMs?: number;
}

/** [start, end, status] in ms since `t0` (epoch ms); status 0: no HTTP answer. */
export type ChainEvent = [number, number, number];

export interface ChainsResult {
  t0: number;
  elapsedMs: number;
  users: number;
  events: ChainEvent[];
  /** Non-200 answers by status ('0': no answer), with their first messages. */
  errorSamples: Record<string, string[]>;
  /** OAuth error codes of the non-200 answers (e.g. invalid_grant). */
  errorCodes: Record<string, number>;
  request: Latency;
  verified: number;
  verifyFailures: number;
  verifySamples: string[];
  /** Signing keys seen in the id_tokens, in the order they first signed. */
  kids: { kid: string; tokens: number; firstAtMs: number }[];
  jwksFetches: number;
  jwksMaxAgeSec: number | undefined;
  /** The last refresh of every chain after the load: ok, and the failures. */
  finalOk: number;
  finalFailures: string[];
  cpuMs: number;
}

const p = workerParams<ChainsParams>();
const ca = readFileSync(p.caFile, 'utf8');
const chains = JSON.parse(readFileSync(p.chainsFile, 'utf8')) as { refreshToken: string }[];
const pool = agent(ca, Math.max(chains.length, 1) * 2);
const requestLatency = new Recorder();
const events: ChainEvent[] = [];
const errorSamples: Record<string, string[]> = {};
const errorCodes: Record<string, number> = {};
const verifySamples: string[] = [];
const kids = new Map<string, { tokens: number; firstAtMs: number }>();
let verified = 0;
let verifyFailures = 0;
let jwksFetches = 0;
let nextBase = 0;
let stopping = false;
let measuring = true;
const base = () => p.bases[nextBase++ % p.bases.length]!;

process.on('SIGUSR2', () => {
  stopping = true;
});

/** GET over https with the bench CA, as a fetch Response (jose's customFetch), round robin. */
function get(path: string): Promise<{ status: number; headers: Headers; text: string }> {
  const url = new URL(path, base());
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent: pool }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          if (typeof v === 'string') headers.set(k, v);
        resolve({
          status: res.statusCode ?? 0,
          headers,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error('JWKS fetch timed out')));
    req.on('error', reject);
  });
}

const first = await get(p.verify.jwksPath);
if (first.status !== 200) throw new Error(`JWKS: ${String(first.status)}`);
const maxAge = /max-age=(\d+)/.exec(first.headers.get('cache-control') ?? '')?.[1];
const jwksMaxAgeSec = maxAge === undefined ? undefined : Number(maxAge);
const jwks = createRemoteJWKSet(new URL(p.verify.jwksPath, p.bases[0]), {
  cacheMaxAge: (jwksMaxAgeSec ?? 600) * 1000,
  cooldownDuration: 24 * 3600 * 1000,
  [customFetch]: async () => {
    jwksFetches++;
    const r = await get(p.verify.jwksPath);
    return new Response(r.text, { status: r.status, headers: r.headers });
  },
});

const t0 = Date.now();
const deadline = t0 + p.durationMs;
let newestKidAt = 0;
const enough = () =>
  p.untilKids !== undefined &&
  kids.size >= p.untilKids &&
  Date.now() - newestKidAt >= (p.settleMs ?? 0);

async function verifyToken(idToken: string): Promise<void> {
  let kid = '?';
  try {
    kid = decodeProtectedHeader(idToken).kid ?? '?';
    await jwtVerify(idToken, jwks, { issuer: p.verify.issuer, audience: p.verify.audience });
    verified++;
  } catch (err) {
    verifyFailures++;
    if (verifySamples.length < 5)
      verifySamples.push(`${kid}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const seen = kids.get(kid);
  if (seen !== undefined) seen.tokens++;
  else {
    newestKidAt = Date.now();
    kids.set(kid, { tokens: 1, firstAtMs: newestKidAt - t0 });
  }
}

/**
 * POST a form as a token client does (golang.org/x/oauth2, which kubelogin uses: a
 * Content-Type and no Accept header), round robin over the bases.
 */
function postForm(
  path: string,
  form: Record<string, string>,
): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(path, base());
  const body = new URLSearchParams(form).toString();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        agent: pool,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (measuring) requestLatency.record(performance.now() - started);
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers['content-type']?.split(';')[0] ?? '',
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`POST ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** One refresh grant of `chain`; the status (0: no answer) and what went wrong. */
async function refreshOnce(
  chain: { refreshToken: string },
  verify: boolean,
): Promise<{ status: number; error?: string; code?: string }> {
  let r;
  try {
    r = await postForm(p.client.endpoints.token, {
      grant_type: 'refresh_token',
      refresh_token: chain.refreshToken,
      client_id: p.client.clientId,
    });
  } catch (err) {
    return { status: 0, error: err instanceof Error ? err.message : String(err) };
  }
  if (r.status === 200) {
    const body = JSON.parse(r.text) as { id_token?: string; refresh_token?: string };
    if (typeof body.refresh_token === 'string') chain.refreshToken = body.refresh_token;
    if (verify && typeof body.id_token === 'string') await verifyToken(body.id_token);
    return { status: 200 };
  }
  const code = /"error":"([a-z_]+)"/.exec(r.text)?.[1];
  return {
    status: r.status,
    error: `${r.type}: ${oneLine(r.text)}`,
    ...(code === undefined ? {} : { code }),
  };
}

const cpu0 = process.cpuUsage();
await Promise.all(
  chains.map(async (chain, i) => {
    // Spread the users' first requests over one pause.
    await sleep((p.pauseMs * i) / chains.length);
    while (!stopping && Date.now() < deadline && !enough()) {
      const start = Date.now();
      const r = await refreshOnce(chain, true);
      events.push([start - t0, Date.now() - t0, r.status]);
      if (r.status !== 200) {
        const samples = (errorSamples[String(r.status)] ??= []);
        if (samples.length < 3) samples.push(r.error ?? '');
        const code = r.code ?? '(not an OAuth error)';
        errorCodes[code] = (errorCodes[code] ?? 0) + 1;
      }
      await sleep(r.status === 200 ? p.pauseMs : p.retryMs);
    }
  }),
);
const elapsedMs = Date.now() - t0;
const cpu = process.cpuUsage(cpu0);
measuring = false;

// Every chain once more, a few at a time: each must still refresh.
let finalOk = 0;
const finalFailures: string[] = [];
const queue = [...chains.keys()];
await Promise.all(
  Array.from({ length: 4 }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const r = await refreshOnce(chains[i]!, false);
      if (r.status === 200) finalOk++;
      else finalFailures.push(`chain ${String(i)}: ${String(r.status)} ${r.error ?? ''}`);
    }
  }),
);
writeFileSync(p.chainsFile, JSON.stringify(chains));
pool.destroy();

report({
  t0,
  elapsedMs,
  users: chains.length,
  events,
  errorSamples,
  errorCodes,
  request: requestLatency.summary(),
  verified,
  verifyFailures,
  verifySamples,
  kids: [...kids].map(([kid, v]) => ({ kid, ...v })),
  jwksFetches,
  jwksMaxAgeSec,
  finalOk,
  finalFailures,
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
} satisfies ChainsResult);
