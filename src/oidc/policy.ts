import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_MFA } from '../security/index.js';

/** Whether a login of `accountId` for this request must pass a second factor. */
export type MfaRequired = (
  accountId: string,
  req: {
    clientId?: string | undefined;
    scope?: string | undefined;
    acrValues?: string | undefined;
  },
) => Promise<boolean>;

const param = (ctx: KoaContextWithOIDC, name: string): string | undefined => {
  const v = (ctx.oidc.params as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * A browser session from a password-only login does not carry a person to a client, cluster or
 * step-up request that needs a second factor: the login prompt comes back (with its page asking
 * for the password, then the factor).
 */
function addMfaCheck(policy: interactionPolicy.DefaultPolicy, mfaRequired: MfaRequired): void {
  const login = policy.get('login');
  if (login === undefined) throw new Error('oidc-provider has no login prompt');
  login.checks.add(
    new interactionPolicy.Check(
      'mfa_required',
      'a multi-factor login is required',
      'login_required',
      async (ctx: KoaContextWithOIDC) => {
        const { session, client } = ctx.oidc;
        const accountId = session?.accountId;
        if (accountId === undefined || session?.acr === ACR_MFA)
          return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return mfaRequired(accountId, {
          clientId: client?.clientId,
          scope: param(ctx, 'scope'),
          acrValues: param(ctx, 'acr_values'),
        });
      },
    ),
  );
}

/**
 * oidc-provider's default prompts (login, consent), with one change: its consent check
 * "native clients require End-User interaction" applies only to clients that have not been
 * configured as first-party (skipApprovalScreen). kubelogin is native; asking its users to
 * click "allow" for their own cluster's client on every login teaches them to click blindly.
 */
export function buildInteractionPolicy(
  skipConsent: (clientId: string) => boolean,
  mfaRequired?: MfaRequired,
): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  if (mfaRequired !== undefined) addMfaCheck(policy, mfaRequired);
  const consent = policy.get('consent');
  if (consent === undefined) throw new Error('oidc-provider has no consent prompt');
  consent.checks.remove('native_client_prompt');
  consent.checks.add(
    new interactionPolicy.Check(
      'native_client_prompt',
      'native clients require End-User interaction',
      'interaction_required',
      (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        const client = oidc.client;
        if (client === undefined) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return (
          client.applicationType === 'native' &&
          !skipConsent(client.clientId) &&
          oidc.result?.['consent'] === undefined
        );
      },
    ),
    0,
  );
  return policy;
}
