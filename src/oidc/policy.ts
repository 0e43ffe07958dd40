import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider's default prompts (login, consent), with one change: its consent check
 * "native clients require End-User interaction" applies only to clients that have not been
 * configured as first-party (skipApprovalScreen). kubelogin is native; asking its users to
 * click "allow" for their own cluster's client on every login teaches them to click blindly.
 */
export function buildInteractionPolicy(
  skipConsent: (clientId: string) => boolean,
): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
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
