import { randomBytes } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import {
  acceptSignCount,
  acceptTotpStep,
  confirmFactor,
  createFactor,
  deleteAllMfa,
  deleteFactor,
  findFactor,
  findWebauthnFactor,
  listFactors,
  memoKeys,
  replaceRecoveryCodes,
  saveChallenge,
  takeChallenge,
  totpSealContext,
  unusedRecoveryCodes,
  useRecoveryCode,
  type ChallengePurpose,
  type Db,
  type MfaFactor,
  type MfaPerson,
  type RequestMemo,
} from '../../storage/index.js';
import type { Audit } from '../audit.js';
import type { LoginThrottle, ThrottleKey } from '../throttle.js';
import { hashRecoveryCode, newRecoveryCodes } from './recovery.js';
import { newTotpSecret, normaliseTotpCode, totpStep, totpUri } from './totp.js';
import {
  authenticationOptions,
  CHALLENGE_TTL_MS,
  registrationOptions,
  verifyAssertion,
  verifyRegistration,
  webauthnAmr,
  type RelyingParty,
} from './webauthn.js';

/** Seals TOTP secrets at rest: the signing keys' sealer (keys/sealer.ts), structurally. */
export interface SecretSealer {
  readonly enabled: boolean;
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

export type MfaFactorLabel = 'totp' | 'webauthn' | 'recovery';
export type MfaOutcome = 'success' | 'failure' | 'locked' | 'enrolled' | 'removed' | 'reset';

/** Who acted, in the audit vocabulary (MODEL.md). */
export interface Actor {
  readonly kind: 'person' | 'client' | 'operator' | 'cluster' | 'system';
  readonly id: string;
}

/** One person's attempt at a second factor: who, from where, for which client, on which path. */
export interface MfaAttempt extends MfaPerson {
  readonly username: string;
  readonly ip: string;
  readonly clientId?: string | undefined;
  readonly channel: string;
}

export type MfaCheck =
  | { readonly ok: true; readonly amr: readonly string[]; readonly factor: MfaFactorLabel }
  | { readonly ok: false; readonly reason: string };

export interface MfaServiceDeps {
  readonly db: Db;
  readonly sealer: SecretSealer;
  readonly audit: Audit;
  readonly throttle: LoginThrottle;
  readonly rp: RelyingParty;
  /** The issuer name authenticator apps show. */
  readonly appName: string;
  /** Counts outcomes (sigil_mfa_total). */
  readonly count?: (factor: MfaFactorLabel, outcome: MfaOutcome) => void;
  readonly now?: () => number;
  /** The request's memo: a login's identity write may already have found no factor. */
  readonly memo?: RequestMemo;
}

const newId = (): string => randomBytes(12).toString('base64url');

/**
 * Second factors: checking them at login (every check throttled like a password and audited),
 * enrolling (TOTP stored unconfirmed until its first code; a passkey stored once verified),
 * removing, recovery codes. All state is in the database, so every replica agrees.
 */
export class MfaService {
  readonly #d: MfaServiceDeps;

  constructor(deps: MfaServiceDeps) {
    this.#d = deps;
  }

  get relyingParty(): RelyingParty {
    return this.#d.rp;
  }

  /**
   * The person's confirmed factors (what counts). Right after a login saved the identity,
   * once, without a statement when that write found none (storage's saveIdentity).
   */
  factors(who: MfaPerson): Promise<MfaFactor[]> {
    if (this.#d.memo?.take(memoKeys.noFactors(who.sub, who.connectorId))?.value === true)
      return Promise.resolve([]);
    return listFactors(this.#d.db, who);
  }

  unusedRecoveryCodes(who: MfaPerson): Promise<number> {
    return unusedRecoveryCodes(this.#d.db, who);
  }

  /** Forgets every factor and recovery code of `who` (resetMfa with this service's storage). */
  reset(
    who: MfaPerson & { username?: string },
    actor: Actor,
  ): Promise<{ factors: number; recoveryCodes: number }> {
    return resetMfa({ db: this.#d.db, audit: this.#d.audit, count: this.#d.count }, who, actor);
  }

  /** Throttle key of second-factor guesses: per person, so a password login does not reset it. */
  #key(a: MfaAttempt): ThrottleKey {
    return { username: `mfa:${a.sub}`, ip: a.ip };
  }

  async #record(
    a: MfaAttempt,
    event: 'verified' | 'failed' | 'enrolled' | 'removed',
    factor: MfaFactorLabel,
    reason?: string,
  ): Promise<void> {
    const outcome = event === 'failed' ? (reason === 'locked' ? 'locked' : 'failure') : 'success';
    this.#d.count?.(
      factor,
      event === 'verified' ? 'success' : event === 'failed' ? outcome : event,
    );
    await this.#d.audit.record({
      event: `mfa.${event}`,
      outcome,
      username: a.username,
      sub: a.sub,
      clientId: a.clientId,
      ip: a.ip,
      ...(reason === undefined ? {} : { reason }),
      details: {
        factor,
        connector: a.connectorId,
        channel: a.channel,
        actor: { kind: 'person', id: a.sub },
      },
    });
  }

  /** Runs `check` when the throttle allows; a failure is counted and audited, a success audited. */
  async #guarded(
    a: MfaAttempt,
    factor: MfaFactorLabel,
    check: () => Promise<{ amr: readonly string[] } | { reason: string }>,
  ): Promise<MfaCheck> {
    const gate = await this.#d.throttle.check(this.#key(a));
    if (!gate.allowed) {
      await this.#record(a, 'failed', factor, 'locked');
      return { ok: false, reason: 'locked' };
    }
    const r = await check();
    if ('reason' in r) {
      await this.#d.throttle.recordFailure(this.#key(a));
      await this.#record(a, 'failed', factor, r.reason);
      return { ok: false, reason: r.reason };
    }
    await this.#d.throttle.recordSuccess(this.#key(a));
    await this.#record(a, 'verified', factor);
    return { ok: true, amr: ['pwd', ...r.amr, 'mfa'], factor };
  }

  #openSecret(f: MfaFactor): string | undefined {
    if (f.secret === undefined) return undefined;
    if (!f.encrypted) return f.secret;
    try {
      return this.#d.sealer.open(f.secret, totpSealContext(f.id));
    } catch {
      return undefined;
    }
  }

  /**
   * A code typed into a form that takes either: a TOTP code when it has a TOTP code's shape,
   * else a recovery code (the fresh second factor of the /home forms).
   */
  verifyCode(a: MfaAttempt, code: string): Promise<MfaCheck> {
    return normaliseTotpCode(code) === undefined
      ? this.verifyRecoveryCode(a, code)
      : this.verifyTotp(a, code);
  }

  /** A TOTP code: accepted once (a replay, even inside its window, is refused). */
  verifyTotp(a: MfaAttempt, code: string): Promise<MfaCheck> {
    return this.#guarded(a, 'totp', async () => {
      if (normaliseTotpCode(code) === undefined) return { reason: 'malformed_code' };
      const now = this.#d.now?.() ?? Date.now();
      const totps = (await this.factors(a)).filter((f) => f.kind === 'totp');
      if (totps.length === 0) return { reason: 'no_factor' };
      let replayed = false;
      for (const f of totps) {
        const secret = this.#openSecret(f);
        const step = secret === undefined ? undefined : totpStep(secret, code, now);
        if (step === undefined) continue;
        if (await acceptTotpStep(this.#d.db, f.id, step)) return { amr: ['otp'] };
        replayed = true;
      }
      return { reason: replayed ? 'replayed_code' : 'wrong_code' };
    });
  }

  /** A recovery code: each works once. */
  verifyRecoveryCode(a: MfaAttempt, code: string): Promise<MfaCheck> {
    return this.#guarded(a, 'recovery', async () => {
      const hash = hashRecoveryCode(a.sub, code);
      if (hash === undefined) return { reason: 'malformed_code' };
      if ((await this.factors(a)).length === 0) return { reason: 'no_factor' };
      return (await useRecoveryCode(this.#d.db, a, hash))
        ? { amr: ['otp'] }
        : { reason: 'wrong_code' };
    });
  }

  async #challenge(sub: string, purpose: ChallengePurpose, challenge: string): Promise<void> {
    await saveChallenge(this.#d.db, { challenge, sub, purpose, ttlMs: CHALLENGE_TTL_MS });
  }

  #taker(sub: string, purpose: ChallengePurpose): (c: string) => Promise<boolean> {
    return (challenge) =>
      challenge.length <= 256 && challenge.length > 0
        ? takeChallenge(this.#d.db, { challenge, sub, purpose })
        : Promise.resolve(false);
  }

  /** Options for `navigator.credentials.get()` over the person's passkeys (undefined: none). */
  async webauthnLoginOptions(
    who: MfaPerson,
  ): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
    const keys = (await this.factors(who)).filter((f) => f.kind === 'webauthn');
    if (keys.length === 0) return undefined;
    const options = await authenticationOptions(this.#d.rp, keys);
    await this.#challenge(who.sub, 'authenticate', options.challenge);
    return options;
  }

  /** A passkey assertion: right origin, rpID, challenge, type, signature, its owner, counter forward. */
  verifyWebauthn(
    a: MfaAttempt,
    response: AuthenticationResponseJSON | undefined,
  ): Promise<MfaCheck> {
    return this.#guarded(a, 'webauthn', async () => {
      if (response === undefined) return { reason: 'malformed_response' };
      const factor = await findWebauthnFactor(this.#d.db, response.id);
      if (factor === undefined) return { reason: 'unknown_credential' };
      if (factor.sub !== a.sub || factor.connectorId !== a.connectorId)
        return { reason: 'foreign_credential' };
      const counter = await verifyAssertion(
        this.#d.rp,
        response,
        factor,
        this.#taker(a.sub, 'authenticate'),
      );
      if (counter === undefined) return { reason: 'invalid_assertion' };
      if (!(await acceptSignCount(this.#d.db, factor.id, counter)))
        return { reason: 'counter_regressed' };
      return { amr: [webauthnAmr(factor)] };
    });
  }

  /** Starts a TOTP enrollment: stored unconfirmed (it counts only once a code confirms it). */
  async startTotp(
    who: MfaPerson & { username: string },
  ): Promise<{ factorId: string; secret: string; uri: string }> {
    const id = newId();
    const secret = newTotpSecret();
    const { sealer } = this.#d;
    await createFactor(this.#d.db, {
      ...who,
      id,
      kind: 'totp',
      name: 'Authenticator app',
      secret: sealer.enabled ? sealer.seal(secret, totpSealContext(id)) : secret,
      encrypted: sealer.enabled,
    });
    return { factorId: id, secret, uri: totpUri(secret, this.#d.appName, who.username) };
  }

  /** The secret of an unfinished TOTP enrollment (to show its page again after a wrong code). */
  async pendingTotp(
    who: MfaPerson & { username: string },
    factorId: string,
  ): Promise<{ factorId: string; secret: string; uri: string } | undefined> {
    const f = await findFactor(this.#d.db, who, factorId);
    if (f === undefined || f.kind !== 'totp' || f.confirmedAt !== undefined) return undefined;
    const secret = this.#openSecret(f);
    if (secret === undefined) return undefined;
    return { factorId, secret, uri: totpUri(secret, this.#d.appName, who.username) };
  }

  /**
   * Confirms a TOTP enrollment with its first code (throttled like any code). On success the
   * person gets recovery codes when they have none left: returned here, shown once.
   */
  async confirmTotp(
    a: MfaAttempt,
    factorId: string,
    code: string,
  ): Promise<MfaCheck & { recoveryCodes?: string[] }> {
    const r = await this.#guarded(a, 'totp', async () => {
      const pending = await this.pendingTotp(a, factorId);
      if (pending === undefined) return { reason: 'no_enrollment' };
      const step = totpStep(pending.secret, code, this.#d.now?.() ?? Date.now());
      if (step === undefined) return { reason: 'wrong_code' };
      if (!(await confirmFactor(this.#d.db, a, factorId, step))) return { reason: 'no_enrollment' };
      return { amr: ['otp'] };
    });
    if (!r.ok) return r;
    await this.#record(a, 'enrolled', 'totp');
    return { ...r, ...(await this.#firstRecoveryCodes(a)) };
  }

  async #firstRecoveryCodes(a: MfaAttempt): Promise<{ recoveryCodes?: string[] }> {
    if ((await unusedRecoveryCodes(this.#d.db, a)) > 0) return {};
    return { recoveryCodes: await this.regenerateRecoveryCodes(a) };
  }

  /** Options for `navigator.credentials.create()` (the challenge is remembered). */
  async webauthnRegistrationOptions(
    who: MfaPerson & { username: string },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = (await this.factors(who)).filter((f) => f.kind === 'webauthn');
    const options = await registrationOptions(this.#d.rp, who, existing);
    await this.#challenge(who.sub, 'register', options.challenge);
    return options;
  }

  /** Registers a passkey: stored only once verified (nothing half-stored). */
  async registerWebauthn(
    a: MfaAttempt,
    response: RegistrationResponseJSON | undefined,
    name: string,
  ): Promise<MfaCheck & { recoveryCodes?: string[] }> {
    const r = await this.#guarded(a, 'webauthn', async () => {
      if (response === undefined) return { reason: 'malformed_response' };
      const cred = await verifyRegistration(this.#d.rp, response, this.#taker(a.sub, 'register'));
      if (cred === undefined) return { reason: 'invalid_attestation' };
      if ((await findWebauthnFactor(this.#d.db, cred.credentialId)) !== undefined)
        return { reason: 'credential_exists' };
      await createFactor(this.#d.db, {
        ...a,
        id: newId(),
        kind: 'webauthn',
        name: name.slice(0, 64) || 'Passkey',
        credentialId: cred.credentialId,
        publicKey: cred.publicKey,
        signCount: cred.counter,
        ...(cred.transports === undefined ? {} : { transports: cred.transports }),
        deviceType: cred.deviceType,
        confirmed: true,
      });
      return { amr: [cred.deviceType === 'multiDevice' ? 'swk' : 'hwk'] };
    });
    if (!r.ok) return r;
    await this.#record(a, 'enrolled', 'webauthn');
    return { ...r, ...(await this.#firstRecoveryCodes(a)) };
  }

  /** Removes one factor (the caller has checked a fresh second factor); false if not theirs. */
  async remove(a: MfaAttempt, factorId: string): Promise<boolean> {
    const f = await findFactor(this.#d.db, a, factorId);
    if (f === undefined || !(await deleteFactor(this.#d.db, a, factorId))) return false;
    await this.#record(a, 'removed', f.kind);
    return true;
  }

  /** Ten new recovery codes (the old ones stop working), returned once, stored hashed. */
  async regenerateRecoveryCodes(a: MfaPerson): Promise<string[]> {
    const codes = newRecoveryCodes();
    const hashes = codes.map((c) => hashRecoveryCode(a.sub, c) ?? '');
    await replaceRecoveryCodes(this.#d.db, a, hashes);
    return codes;
  }
}

/**
 * Forgets every factor and recovery code of a person (a lost phone), audited as `mfa.reset`
 * with who did it. The one reset path: `sigil mfa reset` and the admin API call it.
 */
export async function resetMfa(
  deps: { db: Db; audit: Audit; count?: MfaServiceDeps['count'] },
  who: MfaPerson & { username?: string },
  actor: Actor,
): Promise<{ factors: number; recoveryCodes: number }> {
  const r = await deleteAllMfa(deps.db, who);
  deps.count?.('totp', 'reset');
  await deps.audit.record({
    event: 'mfa.reset',
    outcome: 'success',
    username: who.username,
    sub: who.sub,
    details: {
      connector: who.connectorId,
      actor,
      factors: r.factors,
      recoveryCodes: r.recoveryCodes,
    },
  });
  return r;
}
