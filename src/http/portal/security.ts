import { bodyParser } from '@koa/bodyparser';
import Router, { type RouterMiddleware } from '@koa/router';
import { parseRegistration, type MfaAttempt, type MfaService } from '../../security/index.js';
import { MFA_FAILED, jsonBlock, qrDataUri } from '../interaction/index.js';
import { paths, renderErrorPage, type SigilState, type Views } from '../shared/index.js';
import { formToken, formTokenMatches } from './form-token.js';
import type { SelfLogin } from './self-login.js';

/**
 * /home/security: the signed-in person's second factors. Lists them (kind, name, created,
 * last used), adds an authenticator app or a passkey, removes one and issues new recovery
 * codes: those two only with a fresh code (TOTP or recovery code), so a browser left signed
 * in is not enough. Every form carries a CSRF token bound to the person and their session.
 */
export interface SecurityDeps {
  readonly views: Views;
  readonly login: SelfLogin;
  readonly mfa: MfaService;
  /** The connector that owns `sub` (the identities table). */
  readonly connectorOf: (sub: string) => Promise<string | undefined>;
  readonly csrfSecret: string;
  readonly maxBodyBytes: number;
}

type Handler = RouterMiddleware<SigilState>;
type Ctx = Parameters<Handler>[0];

interface Person extends MfaAttempt {
  readonly csrf: string;
}

interface PageState {
  readonly notice?: string;
  readonly error?: string;
  readonly codes?: readonly string[];
  readonly enroll?: { factorId: string; secret: string; uri: string };
  readonly status?: number;
}

const field = (body: unknown, name: string): string | undefined => {
  if (body === null || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
};

/** The signed-in person, or undefined after sending them to sign in. */
async function person(deps: SecurityDeps, ctx: Ctx): Promise<Person | undefined> {
  const session = await deps.login.session(ctx);
  const sub = session?.claims['sub'];
  const connectorId = typeof sub === 'string' ? await deps.connectorOf(sub) : undefined;
  if (session === undefined || typeof sub !== 'string' || connectorId === undefined) {
    deps.login.start(ctx, paths.homeSecurity);
    return undefined;
  }
  const name = session.claims['preferred_username'];
  return {
    sub,
    connectorId,
    username: typeof name === 'string' ? name : sub,
    ip: ctx.ip,
    clientId: deps.login.clientId,
    channel: 'portal',
    csrf: formToken(deps.csrfSecret, 'home-security', sub, session.exp),
  };
}

async function render(deps: SecurityDeps, ctx: Ctx, p: Person, s: PageState = {}): Promise<void> {
  const factors = await deps.mfa.factors(p);
  const keys = await deps.mfa.webauthnRegistrationOptions(p);
  ctx.set('Cache-Control', 'no-store');
  ctx.status = s.status ?? 200;
  ctx.type = 'html';
  ctx.body = deps.views.page('security', 'Sign-in security', {
    csrf: p.csrf,
    username: p.username,
    factors: factors.map((f) => ({
      id: f.id,
      kind: f.kind === 'totp' ? 'Authenticator app' : 'Passkey or security key',
      name: f.name,
      created: f.createdAt.toISOString().slice(0, 16).replace('T', ' '),
      lastUsed: f.lastUsedAt?.toISOString().slice(0, 16).replace('T', ' ') ?? 'never',
    })),
    recoveryLeft: await deps.mfa.unusedRecoveryCodes(p),
    webauthnOptions: jsonBlock(keys),
    enroll: s.enroll === undefined ? undefined : { ...s.enroll, qr: qrDataUri(s.enroll.uri) },
    notice: s.notice,
    error: s.error,
    codes: s.codes,
  });
}

type Action = (deps: SecurityDeps, ctx: Ctx, p: Person) => Promise<PageState>;

const ACTIONS: Readonly<Record<string, Action>> = {
  'add-totp': async (deps, _ctx, p) => ({ enroll: await deps.mfa.startTotp(p) }),
  'confirm-totp': async (deps, ctx, p) => {
    const body = ctx.request.body;
    const id = field(body, 'factor') ?? '';
    const r = await deps.mfa.confirmTotp(p, id, field(body, 'code') ?? '');
    if (r.ok) return { notice: 'The authenticator app is on.', codes: r.recoveryCodes ?? [] };
    const pending = await deps.mfa.pendingTotp(p, id);
    return {
      error: MFA_FAILED,
      status: 400,
      ...(pending === undefined ? {} : { enroll: pending }),
    };
  },
  'add-passkey': async (deps, ctx, p) => {
    const body = ctx.request.body;
    const cred = parseRegistration(field(body, 'credential'));
    const r = await deps.mfa.registerWebauthn(p, cred, field(body, 'name') ?? 'Passkey');
    if (r.ok) return { notice: 'The passkey is added.', codes: r.recoveryCodes ?? [] };
    return { error: MFA_FAILED, status: 400 };
  },
  remove: async (deps, ctx, p) => {
    const body = ctx.request.body;
    if (!(await deps.mfa.verifyCode(p, field(body, 'code') ?? '')).ok)
      return { error: MFA_FAILED, status: 400 };
    const ok = await deps.mfa.remove(p, field(body, 'factor') ?? '');
    return ok ? { notice: 'The factor is removed.' } : { error: 'No such factor.', status: 404 };
  },
  recovery: async (deps, ctx, p) => {
    if ((await deps.mfa.factors(p)).length === 0)
      return { error: 'Set up a second factor first.', status: 400 };
    if (!(await deps.mfa.verifyCode(p, field(ctx.request.body, 'code') ?? '')).ok)
      return { error: MFA_FAILED, status: 400 };
    return {
      notice: 'New recovery codes: the old ones no longer work.',
      codes: await deps.mfa.regenerateRecoveryCodes(p),
    };
  },
};

function verified(deps: SecurityDeps, ctx: Ctx, p: Person): boolean {
  if (formTokenMatches(p.csrf, field(ctx.request.body, 'csrf'))) return true;
  renderErrorPage(
    ctx,
    deps.views,
    403,
    'Form expired',
    'The form could not be verified. Go back, reload the page and try again.',
    'csrf',
  );
  return false;
}

export function securityRoutes(deps: SecurityDeps): Router<SigilState> {
  const router = new Router<SigilState>();
  const form: Handler = bodyParser({
    enableTypes: ['form'],
    formLimit: `${deps.maxBodyBytes}b`,
    encoding: 'utf-8',
  });
  router.get(paths.homeSecurity, async (ctx) => {
    const p = await person(deps, ctx);
    if (p !== undefined) await render(deps, ctx, p);
  });
  router.post(paths.homeSecurity, form, async (ctx) => {
    const p = await person(deps, ctx);
    if (p === undefined || !verified(deps, ctx, p)) return;
    // Own keys only: `__proto__` or `constructor` are not actions (they were a 500).
    const name = field(ctx.request.body, 'action') ?? '';
    const action = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
    if (action === undefined) {
      await render(deps, ctx, p, { error: 'Unknown action.', status: 400 });
      return;
    }
    await render(deps, ctx, p, await action(deps, ctx, p));
  });
  return router;
}
