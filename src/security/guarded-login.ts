import type { Identity, LoginFailureReason, Scopes } from '../connectors/index.js';
import { isAppError } from '../errors.js';
import type { Audit } from './audit.js';
import type { AccessDenialReason, AccessPolicy } from './client-access.js';
import type { LoginThrottle, ThrottleDecision, ThrottleKey } from './throttle.js';

/**
 * Every password check goes through here: the login page, the device flow and the password
 * grant. In order: reserved usernames are refused, the throttle is asked, the connector
 * checks the password, the throttle learns the outcome, the client's access policy is
 * applied, and every step is audited. To the requester a refusal for any reason but an
 * access-policy denial looks exactly like a wrong password.
 */
export interface Authenticator {
  authenticate(
    connectorId: string,
    username: string,
    password: string,
    scopes: Scopes,
  ): Promise<
    { ok: true; sub: string; identity: Identity } | { ok: false; reason: LoginFailureReason }
  >;
}

type AuthenticateOutcome = Awaited<ReturnType<Authenticator['authenticate']>>;

/** The fields every audit record of one attempt shares. */
interface AttemptRecord {
  readonly event: string;
  readonly username: string;
  readonly clientId: string | undefined;
  readonly ip: string;
  readonly details: Record<string, unknown>;
}

export type LoginChannel = 'login_page' | 'device' | 'password_grant';

export interface LoginAttempt {
  readonly connectorId: string;
  readonly username: string;
  readonly password: string;
  readonly scopes: Scopes;
  /** The client the login is for: its access policy applies. */
  readonly clientId: string | undefined;
  /** The requester's address (Koa `ctx.ip`). */
  readonly ip: string;
  readonly channel: LoginChannel;
}

/** Why a login failed, as audited; the requester only ever sees "invalid username or password". */
export type LoginRefusal = LoginFailureReason | 'reserved_username' | 'throttled' | 'ip_locked';

export type GuardedLoginResult =
  | {
      readonly ok: true;
      readonly sub: string;
      readonly identity: Identity;
      readonly groups: string[];
    }
  | { readonly ok: false; readonly denied: false; readonly reason: LoginRefusal }
  | {
      readonly ok: false;
      readonly denied: true;
      readonly reason: AccessDenialReason;
      /** For the page and the client's `error_description`. */
      readonly description: string;
      readonly sub: string;
    };

export type GuardedAuthenticate = (attempt: LoginAttempt) => Promise<GuardedLoginResult>;

export interface GuardedLoginDeps {
  readonly accounts: Authenticator;
  readonly throttle: LoginThrottle;
  readonly audit: Audit;
  readonly access: AccessPolicy;
  /** Fetch groups on every login, whatever the scope (the MFA policy names groups). */
  readonly alwaysGroups?: boolean;
}

/** Failures that are guesses (they count towards back-off and lockout); the rest are account states. */
const COUNTED: ReadonlySet<LoginFailureReason> = new Set([
  'bad_password',
  'unknown_user',
  'empty_password',
  'invalid_username',
]);

export function createGuardedAuthenticate(deps: GuardedLoginDeps): GuardedAuthenticate {
  const { accounts, throttle, audit, access } = deps;
  return async (a) => {
    const username = a.username.trim();
    const base = { event: 'login', username, clientId: a.clientId, ip: a.ip };
    const details = { connector: a.connectorId, channel: a.channel };
    const key = { username, ip: a.ip };

    if (access.isReserved(username)) {
      await audit.record({ ...base, outcome: 'denied', reason: 'reserved_username', details });
      return { ok: false, denied: false, reason: 'reserved_username' };
    }

    const gate = await throttle.check(key);
    if (!gate.allowed) {
      const reason = gate.reason ?? 'locked';
      await audit.record({
        ...base,
        outcome: 'locked',
        reason,
        details: { ...details, retryAfterSec: gate.retryAfterSec, failures: gate.failures },
      });
      return { ok: false, denied: false, reason };
    }

    const scopes =
      deps.alwaysGroups === true || access.needsGroups(a.clientId)
        ? { ...a.scopes, groups: true }
        : a.scopes;
    let result;
    try {
      result = await accounts.authenticate(a.connectorId, username, a.password, scopes);
    } catch (err) {
      if (isAppError(err, 'CONNECTOR_UNAVAILABLE'))
        await audit.record({ ...base, outcome: 'failure', reason: 'directory_down', details });
      throw err;
    }

    if (!result.ok) {
      await recordRefusal(deps, { ...base, reason: result.reason, details }, key);
      return { ok: false, denied: false, reason: result.reason };
    }
    return admit(deps, result, { ...base, details, key, gate });
  };
}

/** A refused password: counted towards back-off and lockout when it is a guess, and audited. */
async function recordRefusal(
  { throttle, audit }: GuardedLoginDeps,
  e: AttemptRecord & { readonly reason: LoginFailureReason },
  key: ThrottleKey,
): Promise<void> {
  const after = COUNTED.has(e.reason) ? await throttle.recordFailure(key) : undefined;
  await audit.record({
    ...e,
    outcome: 'failure',
    details: {
      ...e.details,
      ...(after === undefined
        ? {}
        : {
            failures: after.failures,
            ...(after.reason === 'locked' ? { lockedForSec: after.retryAfterSec } : {}),
          }),
    },
  });
}

/** A right password: reserved names refused, reserved groups dropped, the client's access policy. */
async function admit(
  { throttle, audit, access }: GuardedLoginDeps,
  result: Extract<AuthenticateOutcome, { ok: true }>,
  a: AttemptRecord & { readonly key: ThrottleKey; readonly gate: ThrottleDecision },
): Promise<GuardedLoginResult> {
  const { details, key, gate, ...base } = a;
  const { identity, sub } = result;
  const who = { ...base, username: identity.username, sub };
  const names = [identity.username, identity.preferredUsername].filter(
    (n): n is string => n !== undefined,
  );
  if (names.some((n) => access.isReserved(n))) {
    await audit.record({ ...who, outcome: 'denied', reason: 'reserved_username', details });
    return { ok: false, denied: false, reason: 'reserved_username' };
  }
  await throttle.recordSuccess(key, gate);

  const { dropped } = access.dropReserved(identity.groups);
  if (dropped.length > 0)
    await audit.record({
      ...who,
      event: 'groups.reserved_dropped',
      outcome: 'denied',
      reason: 'reserved_group',
      details: { ...details, groups: dropped },
    });

  const decision = access.decide(a.clientId, identity.groups);
  if (!decision.allowed) {
    await audit.record({
      ...who,
      outcome: 'denied',
      reason: decision.reason,
      details: { ...details, directoryGroups: identity.groups.length },
    });
    return {
      ok: false,
      denied: true,
      reason: decision.reason,
      description: decision.description,
      sub,
    };
  }
  await audit.record({
    ...who,
    outcome: 'success',
    details: { ...details, groups: decision.groups },
  });
  return { ok: true, sub, identity, groups: decision.groups };
}
