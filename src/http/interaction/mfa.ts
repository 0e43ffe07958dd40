import { renderSVG } from 'uqr';
import {
  ACR_MFA,
  ACR_PWD,
  parseAssertion,
  parseRegistration,
  type MfaAttempt,
  type MfaCheck,
} from '../../security/index.js';
import type { MfaFactor } from '../../storage/index.js';
import { renderErrorPage } from '../shared/index.js';
import {
  clientName,
  formField,
  requestParam,
  type InteractionContext,
  type InteractionDeps,
  type InteractionMfa,
  type InteractionMiddleware,
} from './context.js';
import { finishInteraction } from './finish.js';
import type { MfaTicket } from './mfa-ticket.js';

/** The one answer for every refused code or key: no hint whether the code, the lockout or the replay. */
export const MFA_FAILED = 'That code or key was not accepted. Try again.';

/** Who logs in, once the password was right. */
export interface PasswordPassed {
  readonly sub: string;
  readonly connectorId: string;
  readonly username: string;
  readonly groups: readonly string[];
}

/** JSON for a `<script type="application/json">` block: `<` escaped so it cannot end the block. */
export function jsonBlock(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** Ends the login prompt: the login's amr, and acr `urn:sigil:mfa` when a second factor was used. */
export async function finishLogin(
  deps: InteractionDeps,
  ctx: InteractionContext,
  sub: string,
  amr: readonly string[],
): Promise<void> {
  const acr = amr.includes('mfa') ? ACR_MFA : ACR_PWD;
  await finishInteraction(
    ctx,
    deps.provider(),
    { login: { accountId: sub, amr: [...amr], acr } },
    false,
  );
}

function channelOf(ctx: InteractionContext): string {
  // oidc-provider marks the interaction of a device flow (its value is a credential: unused).
  return (ctx.state.interaction as { deviceCode?: unknown }).deviceCode === undefined
    ? 'login_page'
    : 'device';
}

function attemptOf(ctx: InteractionContext, t: MfaTicket): MfaAttempt {
  return {
    sub: t.sub,
    connectorId: t.connectorId,
    username: t.username,
    ip: ctx.ip,
    clientId: requestParam(ctx.state.interaction, 'client_id'),
    channel: channelOf(ctx),
  };
}

/**
 * After a right password: finish (no second factor needed or enrolled), ask for the factor,
 * or enroll one. `no_factor`: one is needed, none is enrolled and enrollment at login is off.
 */
export async function secondFactorStep(
  deps: InteractionDeps,
  ctx: InteractionContext,
  who: PasswordPassed,
): Promise<'handled' | 'no_factor'> {
  const mfa = deps.mfa;
  if (mfa === undefined) {
    await finishLogin(deps, ctx, who.sub, ['pwd']);
    return 'handled';
  }
  const { interaction } = ctx.state;
  const required = mfa.policy.required({
    clientId: requestParam(interaction, 'client_id'),
    scope: requestParam(interaction, 'scope'),
    acrValues: requestParam(interaction, 'acr_values'),
    groups: who.groups,
  });
  const factors = await mfa.service.factors(who);
  const ticket = mfa.tickets.issue({ uid: interaction.uid, stage: 'password', ...who });
  if (factors.length > 0) {
    await renderVerify(deps, mfa, ctx, { ticket, factors, who });
    return 'handled';
  }
  if (!required) {
    await finishLogin(deps, ctx, who.sub, ['pwd']);
    return 'handled';
  }
  if (!mfa.policy.enrollAtLogin) return 'no_factor';
  await renderEnroll(deps, mfa, ctx, { ticket, who });
  return 'handled';
}

interface VerifyPage {
  readonly ticket: string;
  readonly factors: readonly MfaFactor[];
  readonly who: { sub: string; connectorId: string };
  readonly error?: string;
}

/** The second-factor page: a TOTP code, a passkey, or a recovery code. */
async function renderVerify(
  deps: InteractionDeps,
  mfa: InteractionMfa,
  ctx: InteractionContext,
  p: VerifyPage,
): Promise<void> {
  const { interaction } = ctx.state;
  const options = await mfa.service.webauthnLoginOptions(p.who);
  ctx.status = p.error === undefined ? 200 : 401;
  ctx.type = 'html';
  ctx.body = deps.views.page('mfa', 'Second factor', {
    uid: interaction.uid,
    csrf: deps.csrf.token(interaction.uid),
    ticket: p.ticket,
    clientName: await clientName(deps.provider(), interaction),
    hasTotp: p.factors.some((f) => f.kind === 'totp'),
    webauthnOptions: options === undefined ? undefined : jsonBlock(options),
    error: p.error,
  });
}

interface EnrollPage {
  readonly ticket: string;
  readonly who: { sub: string; connectorId: string; username: string };
  /** An enrollment already under way (a wrong first code): shown again. */
  readonly factorId?: string | undefined;
  readonly error?: string;
}

/** A QR code of `text` as an `<img>` data URI (CSP allows data: images; nothing leaves sigil). */
export function qrDataUri(text: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(renderSVG(text, { border: 2 })).toString('base64')}`;
}

/** The enrollment page: an authenticator app (QR, secret, URI) or a passkey. */
async function renderEnroll(
  deps: InteractionDeps,
  mfa: InteractionMfa,
  ctx: InteractionContext,
  p: EnrollPage,
): Promise<void> {
  const { interaction } = ctx.state;
  const pending =
    p.factorId === undefined ? undefined : await mfa.service.pendingTotp(p.who, p.factorId);
  const totp = pending ?? (await mfa.service.startTotp(p.who));
  const options = await mfa.service.webauthnRegistrationOptions(p.who);
  ctx.status = p.error === undefined ? 200 : 401;
  ctx.type = 'html';
  ctx.body = deps.views.page('mfa-enroll', 'Set up a second factor', {
    uid: interaction.uid,
    csrf: deps.csrf.token(interaction.uid),
    ticket: p.ticket,
    clientName: await clientName(deps.provider(), interaction),
    totp: { factorId: totp.factorId, secret: totp.secret, uri: totp.uri, qr: qrDataUri(totp.uri) },
    webauthnOptions: jsonBlock(options),
    error: p.error,
  });
}

/** The ticket of this interaction at `stage`, or a page saying to start again. */
function ticketOr(
  deps: InteractionDeps,
  mfa: InteractionMfa,
  ctx: InteractionContext,
  stage: MfaTicket['stage'],
): MfaTicket | undefined {
  const t = mfa.tickets.read(ctx.state.interaction.uid, formField(ctx.request.body, 'ticket'));
  if (t?.stage === stage) return t;
  renderErrorPage(
    ctx,
    deps.views,
    400,
    'Sign-in expired',
    'This step of the sign-in has expired. Start again from your application.',
    'mfa_ticket',
  );
  return undefined;
}

/** POST of the second-factor page. */
export function submitMfa(deps: InteractionDeps): InteractionMiddleware {
  return async (ctx) => {
    const mfa = deps.mfa;
    if (mfa === undefined) return;
    const t = ticketOr(deps, mfa, ctx, 'password');
    if (t === undefined) return;
    const body = ctx.request.body;
    const a = attemptOf(ctx, t);
    const code = formField(body, 'code') ?? '';
    const method = formField(body, 'method');
    let r: MfaCheck;
    if (method === 'totp') r = await mfa.service.verifyTotp(a, code);
    else if (method === 'recovery') r = await mfa.service.verifyRecoveryCode(a, code);
    else if (method === 'webauthn')
      r = await mfa.service.verifyWebauthn(a, parseAssertion(formField(body, 'credential')));
    else r = { ok: false, reason: 'unknown_method' };
    if (r.ok) {
      await finishLogin(deps, ctx, t.sub, r.amr);
      return;
    }
    const factors = await mfa.service.factors(a);
    const ticket = mfa.tickets.issue({ ...t, stage: 'password' });
    await renderVerify(deps, mfa, ctx, { ticket, factors, who: a, error: MFA_FAILED });
  };
}

/** POST of the enrollment page: the first TOTP code, or a passkey registration. */
export function submitEnroll(deps: InteractionDeps): InteractionMiddleware {
  return async (ctx) => {
    const mfa = deps.mfa;
    if (mfa === undefined) return;
    const t = ticketOr(deps, mfa, ctx, 'password');
    if (t === undefined) return;
    const a = attemptOf(ctx, t);
    // Enrolling at login is for a person with no factor yet: a password alone never adds
    // a second factor next to an existing one (that takes the existing one, on /home/security).
    if (!mfa.policy.enrollAtLogin || (await mfa.service.factors(a)).length > 0) {
      renderErrorPage(
        ctx,
        deps.views,
        403,
        'Not allowed',
        'A second factor cannot be added here. Start again from your application.',
        'mfa_enroll_refused',
      );
      return;
    }
    const r = await enrollOnce(mfa, ctx, a);
    if (!r.ok) {
      const factorId = formField(ctx.request.body, 'factor');
      await renderEnroll(deps, mfa, ctx, {
        ticket: formField(ctx.request.body, 'ticket') ?? '',
        who: a,
        factorId,
        error: MFA_FAILED,
      });
      return;
    }
    if (r.recoveryCodes === undefined) {
      await finishLogin(deps, ctx, t.sub, r.amr);
      return;
    }
    renderRecoveryCodes(deps, ctx, {
      ticket: mfa.tickets.issue({ ...t, stage: 'done', amr: r.amr }),
      codes: r.recoveryCodes,
    });
  };
}

async function enrollOnce(
  mfa: InteractionMfa,
  ctx: InteractionContext,
  a: MfaAttempt,
): Promise<MfaCheck & { recoveryCodes?: string[] }> {
  const body = ctx.request.body;
  const method = formField(body, 'method');
  if (method === 'totp')
    return mfa.service.confirmTotp(
      a,
      formField(body, 'factor') ?? '',
      formField(body, 'code') ?? '',
    );
  if (method === 'webauthn')
    return mfa.service.registerWebauthn(
      a,
      parseRegistration(formField(body, 'credential')),
      formField(body, 'name') ?? 'Passkey',
    );
  return { ok: false, reason: 'unknown_method' };
}

/** The recovery codes, shown once, then Continue (a `done` ticket finishes the login). */
function renderRecoveryCodes(
  deps: InteractionDeps,
  ctx: InteractionContext,
  p: { ticket: string; codes: readonly string[] },
): void {
  const { uid } = ctx.state.interaction;
  ctx.type = 'html';
  ctx.body = deps.views.page('mfa-recovery', 'Recovery codes', {
    uid,
    csrf: deps.csrf.token(uid),
    ticket: p.ticket,
    codes: p.codes,
  });
}

/** POST of the recovery codes page: the login finishes with the factor just enrolled. */
export function submitDone(deps: InteractionDeps): InteractionMiddleware {
  return async (ctx) => {
    const mfa = deps.mfa;
    if (mfa === undefined) return;
    const t = ticketOr(deps, mfa, ctx, 'done');
    if (t === undefined) return;
    const amr = (t.amr ?? []).filter((m) => typeof m === 'string');
    await finishLogin(deps, ctx, t.sub, amr.length > 0 ? amr : ['pwd']);
  };
}
