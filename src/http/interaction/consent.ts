import { AppError } from '../../errors.js';
import { requestedAudiences } from '../../oidc/index.js';
import {
  clientName,
  requestParam,
  type InteractionContext,
  type InteractionDeps,
  type InteractionMiddleware,
} from './context.js';
import { finishInteraction } from './finish.js';

const SCOPE_TEXT: Readonly<Record<string, string>> = {
  openid: 'Your user id',
  profile: 'Your name and username',
  email: 'Your email address',
  groups: 'Your group memberships',
  offline_access: 'Access while you are away (refresh tokens)',
  'sigil:admin': 'Administer sigil: sessions, signing keys, audit (admins only)',
};

/** What the consent page says a scope gives the client. */
function scopeText(scope: string): string {
  const [audience] = requestedAudiences(scope);
  if (audience !== undefined) return `Tokens that ${audience} accepts as well`;
  return SCOPE_TEXT[scope] ?? scope;
}

/** GET at the consent prompt: what the client asks for, to allow or deny. */
export async function showConsent(deps: InteractionDeps, ctx: InteractionContext): Promise<void> {
  const { interaction } = ctx.state;
  const scope = requestParam(interaction, 'scope') ?? 'openid';
  ctx.type = 'html';
  ctx.body = deps.views.page('consent', 'Allow access', {
    uid: interaction.uid,
    csrf: deps.csrf.token(interaction.uid),
    clientName: await clientName(deps.provider(), interaction),
    accountName: undefined,
    scopes: [...new Set(scope.split(' '))].map(scopeText),
  });
}

/** POST of the consent form's Allow: grants what the prompt says is missing, then finishes. */
export function confirmConsent(deps: InteractionDeps): InteractionMiddleware {
  return async (ctx) => {
    const { interaction } = ctx.state;
    const provider = deps.provider();
    const accountId = interaction.session?.accountId;
    const clientId = requestParam(interaction, 'client_id');
    if (accountId === undefined || clientId === undefined)
      throw new AppError('BAD_REQUEST', 'no session for this consent');
    const grant =
      interaction.grantId === undefined
        ? new provider.Grant({ accountId, clientId })
        : await provider.Grant.find(interaction.grantId);
    if (grant === undefined) throw new AppError('BAD_REQUEST', 'the grant of this consent is gone');
    const missing = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
    };
    if (missing.missingOIDCScope !== undefined) {
      // The admin scope only for people in admin.groups; refused (not asked again) otherwise.
      const { granted, refused } = await deps.accounts.grantableScope(
        accountId,
        missing.missingOIDCScope.join(' '),
      );
      if (granted !== '') grant.addOIDCScope(granted);
      if (refused.length > 0) grant.rejectOIDCScope(refused.join(' '));
    }
    if (missing.missingOIDCClaims !== undefined) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    const consent = interaction.grantId === undefined ? { grantId } : {};
    await finishInteraction(ctx, provider, { consent }, true);
  };
}
