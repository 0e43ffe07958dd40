import { randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { report, workerParams } from '../lib/children.js';

/**
 * The signing limit: id_token-sized JWTs signed one after another with jose in one process
 * (one core), for RS256 (the key size sigil uses), ES256 and EdDSA.
 */
interface JwtParams {
  alg: 'RS256' | 'ES256' | 'EdDSA';
  modulusBits: number;
  durationMs: number;
  repeats: number;
}

const p = workerParams<JwtParams>();
const { privateKey } = await generateKeyPair(p.alg, {
  ...(p.alg === 'RS256' ? { modulusLength: p.modulusBits } : {}),
  ...(p.alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
});
const now = Math.floor(Date.now() / 1000);
const claims = {
  sub: randomBytes(16).toString('hex'),
  name: 'Bench User 1',
  preferred_username: 'user00001',
  email: 'user00001@bench.example',
  email_verified: true,
  groups: ['dept-01', 'div-1', 'projects', 'proj-001', 'proj-010', 'staff', 'team-01'],
  nonce: randomBytes(8).toString('base64url'),
  at_hash: randomBytes(16).toString('base64url'),
  auth_time: now,
};

async function signOne(): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: p.alg, kid: 'bench', typ: 'JWT' })
    .setIssuer('https://127.0.0.1:5556')
    .setAudience('kubectl')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey);
}

async function measure(): Promise<{ rate: number; cpuPerOpMs: number }> {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < p.durationMs) {
    await signOne();
    n++;
  }
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return {
    rate: Math.round((n / elapsed) * 1000),
    cpuPerOpMs: Math.round(((cpu.user + cpu.system) / 1000 / n) * 1000) / 1000,
  };
}

for (let i = 0; i < 50; i++) await signOne(); // warm up
const runs = [];
for (let r = 0; r < p.repeats; r++) runs.push(await measure());
report({ alg: p.alg, runs });
