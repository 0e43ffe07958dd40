import type { AuthenticationConfiguration } from '../authentication-config.js';
import type { DenyEntryInput } from '../revocation/index.js';

/**
 * What the agent accepts from sigil before it writes anything: the envelope of
 * GET /api/v1/clusters/{name}/authentication-config for the cluster asked about, an
 * AuthenticationConfiguration (kind, apiVersion apiserver.config.k8s.io/v1beta1 or v1) with at
 * least one jwt authenticator, the issuer the agent has trusted so far, and well-formed deny
 * entries. Anything else is refused with a one-line reason and the last file stays.
 */
export interface FetchedConfig {
  readonly config: AuthenticationConfiguration;
  readonly issuer: string;
  readonly entries: readonly DenyEntryInput[];
}

export class InvalidConfig extends Error {
  override readonly name = 'InvalidConfig';
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;

function time(v: unknown, what: string): Date | undefined {
  if (v === undefined) return undefined;
  const d = typeof v === 'string' ? new Date(v) : undefined;
  if (d === undefined || Number.isNaN(d.getTime()))
    throw new InvalidConfig(`${what} is not a time`);
  return d;
}

function str(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new InvalidConfig(`${what} is not a string`);
  return v;
}

function entry(v: unknown, i: number): DenyEntryInput {
  const e = obj(v);
  const kind = e?.['kind'];
  if (e === undefined || (kind !== 'session' && kind !== 'subject' && kind !== 'window'))
    throw new InvalidConfig(`revocations[${i}] has no valid kind`);
  const w = (k: string) => `revocations[${i}].${k}`;
  const out: DenyEntryInput = {
    kind,
    sid: str(e['sid'], w('sid')),
    sub: str(e['sub'], w('sub')),
    notBefore: time(e['notBefore'], w('notBefore')),
    iatFrom: time(e['iatFrom'], w('iatFrom')),
    iatUntil: time(e['iatUntil'], w('iatUntil')),
    createdAt: time(e['createdAt'], w('createdAt')) ?? new Date(Number.NaN),
    keepUntil: time(e['keepUntil'], w('keepUntil')) ?? new Date(Number.NaN),
  };
  if (Number.isNaN(out.createdAt.getTime()) || Number.isNaN(out.keepUntil.getTime()))
    throw new InvalidConfig(`revocations[${i}] lacks createdAt or keepUntil`);
  return out;
}

function authenticationConfiguration(v: unknown): AuthenticationConfiguration {
  const c = obj(v);
  if (c?.['kind'] !== 'AuthenticationConfiguration')
    throw new InvalidConfig('authenticationConfiguration.kind is not AuthenticationConfiguration');
  const apiVersion = c['apiVersion'];
  if (
    apiVersion !== 'apiserver.config.k8s.io/v1beta1' &&
    apiVersion !== 'apiserver.config.k8s.io/v1'
  )
    throw new InvalidConfig(`unexpected apiVersion ${String(apiVersion).slice(0, 60)}`);
  const jwt = c['jwt'];
  if (
    !Array.isArray(jwt) ||
    jwt.length === 0 ||
    !jwt.every((j) => obj(obj(j)?.['issuer']) !== undefined)
  )
    throw new InvalidConfig('authenticationConfiguration.jwt has no authenticator with an issuer');
  return c as unknown as AuthenticationConfiguration;
}

/** Parses and checks sigil's answer; `expectedIssuer` is the issuer trusted so far, if any. */
export function validateFetched(
  body: string,
  cluster: string,
  expectedIssuer: string | undefined,
): FetchedConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidConfig('the answer is not JSON');
  }
  const env = obj(parsed);
  if (env?.['kind'] !== 'ClusterAuthenticationConfig' || env['apiVersion'] !== 'sigil.dev/v1')
    throw new InvalidConfig('the answer is not a sigil.dev/v1 ClusterAuthenticationConfig');
  if (env['cluster'] !== cluster)
    throw new InvalidConfig(
      `the answer is for another cluster (${String(env['cluster']).slice(0, 60)})`,
    );
  const config = authenticationConfiguration(env['authenticationConfiguration']);
  const issuer = config.jwt[0]?.issuer.url;
  if (typeof issuer !== 'string' || !issuer.startsWith('https://'))
    throw new InvalidConfig('the issuer is not an https URL');
  if (expectedIssuer !== undefined && issuer !== expectedIssuer)
    throw new InvalidConfig(
      `the issuer changed from ${expectedIssuer} to ${issuer.slice(0, 200)}: refused`,
    );
  const list = env['revocations'];
  if (!Array.isArray(list)) throw new InvalidConfig('revocations is not a list');
  return { config, issuer, entries: list.map(entry) };
}
