import { createHash } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { MfaFactor } from '../../storage/index.js';

/** The relying party: rpID = the issuer's host, origin = the issuer's origin. */
export interface RelyingParty {
  readonly id: string;
  readonly origin: string;
  readonly name: string;
}

export function relyingPartyOf(issuer: string, name: string): RelyingParty {
  const url = new URL(issuer);
  return { id: url.hostname, origin: url.origin, name };
}

/** How long a challenge may be answered. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/** At most this many characters of a posted WebAuthn response are read. */
export const MAX_RESPONSE_CHARS = 64 * 1024;

type Challenge = (challenge: string) => Promise<boolean>;

export async function registrationOptions(
  rp: RelyingParty,
  user: { sub: string; username: string },
  existing: readonly MfaFactor[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.username,
    userID: new Uint8Array(createHash('sha256').update(`sigil-user:${user.sub}`).digest()),
    attestationType: 'none',
    timeout: CHALLENGE_TTL_MS,
    excludeCredentials: existing
      .filter((f) => f.credentialId !== undefined)
      .map((f) => ({ id: f.credentialId ?? '', ...transportsOf(f) })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
}

export async function authenticationOptions(
  rp: RelyingParty,
  factors: readonly MfaFactor[],
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.id,
    timeout: CHALLENGE_TTL_MS,
    userVerification: 'preferred',
    allowCredentials: factors
      .filter((f) => f.kind === 'webauthn' && f.credentialId !== undefined)
      .map((f) => ({ id: f.credentialId ?? '', ...transportsOf(f) })),
  });
}

function transportsOf(f: MfaFactor): { transports?: string[] } {
  return f.transports === undefined ? {} : { transports: [...f.transports] };
}

/** A posted credential, parsed: an object with a string `id` and a `response` object, or undefined. */
function parseCredential(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text.length === 0 || text.length > MAX_RESPONSE_CHARS) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o['id'] !== 'string' || o['id'].length > 1024) return undefined;
  if (o['response'] === null || typeof o['response'] !== 'object') return undefined;
  return o;
}

/** A posted registration (navigator.credentials.create()); the library checks the rest. */
export function parseRegistration(text: string | undefined): RegistrationResponseJSON | undefined {
  return parseCredential(text) as RegistrationResponseJSON | undefined;
}

/** A posted assertion (navigator.credentials.get()); the library checks the rest. */
export function parseAssertion(text: string | undefined): AuthenticationResponseJSON | undefined {
  return parseCredential(text) as AuthenticationResponseJSON | undefined;
}

export interface NewCredential {
  readonly credentialId: string;
  readonly publicKey: string;
  readonly counter: number;
  readonly transports?: string[];
  readonly deviceType: string;
}

/** Verifies a registration; undefined when it does not hold (any reason: it is audited as failed). */
export async function verifyRegistration(
  rp: RelyingParty,
  response: RegistrationResponseJSON,
  challenge: Challenge,
): Promise<NewCredential | undefined> {
  try {
    const r = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: false,
    });
    if (!r.verified) return undefined;
    const c = r.registrationInfo.credential;
    return {
      credentialId: c.id,
      publicKey: Buffer.from(c.publicKey).toString('base64url'),
      counter: c.counter,
      ...(c.transports === undefined ? {} : { transports: [...c.transports] }),
      deviceType: r.registrationInfo.credentialDeviceType,
    };
  } catch {
    return undefined;
  }
}

/** Verifies an assertion by `factor`; the new counter, or undefined when it does not hold. */
export async function verifyAssertion(
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  factor: MfaFactor,
  challenge: Challenge,
): Promise<number | undefined> {
  if (factor.credentialId === undefined || factor.publicKey === undefined) return undefined;
  try {
    const r = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      expectedType: 'webauthn.get',
      requireUserVerification: false,
      credential: {
        id: factor.credentialId,
        publicKey: new Uint8Array(Buffer.from(factor.publicKey, 'base64url')),
        counter: factor.signCount,
        ...transportsOf(factor),
      },
    });
    return r.verified ? r.authenticationInfo.newCounter : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 8176: a hardware-bound key (`hwk`) or a synced passkey (`swk`). */
export function webauthnAmr(factor: MfaFactor): 'hwk' | 'swk' {
  return factor.deviceType === 'multiDevice' ? 'swk' : 'hwk';
}
