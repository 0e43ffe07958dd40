import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { ParameterizedContext } from 'koa';
import type { Provider } from '../../oidc/index.js';
import { issuerPath } from '../../config/index.js';
import { paths, publicPaths, type PublicPaths, type SigilState } from '../shared/index.js';
import { dispatchInProcess } from './in-process.js';
import type { WebSession, WebSessionStore } from './web-session.js';

/**
 * sigil's own pages (/home) sign people in as a relying party of sigil itself: the built-in
 * confidential client `sigil-web` runs the authorization code flow with PKCE and nonce
 * against this very provider, then exchanges the code by calling oidc-provider's token
 * endpoint in this process (never over the network: the issuer URL may not be reachable
 * from inside a pod). What the pages know of the person is exactly their id_token's claims.
 */
export interface SelfLoginDeps {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly provider: () => Provider;
  readonly sessions: WebSessionStore;
  /** HMAC key of the short-lived flow cookie (state, nonce, PKCE verifier). */
  readonly cookieSecret: string;
  /** Lifetime of a login attempt (`expiry.authRequests`), in seconds. */
  readonly flowTtlSec: number;
}

type Ctx = ParameterizedContext<SigilState>;

export const SESSION_COOKIE = 'sigil.web';
export const FLOW_COOKIE = 'sigil.web.flow';
export const SCOPE = 'openid profile email groups';

interface Flow {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly returnTo: string;
  readonly exp: number;
}

export type CallbackResult =
  { ok: true; returnTo: string } | { ok: false; status: number; reason: string; code: string };

const now = () => Math.floor(Date.now() / 1000);
const random = () => randomBytes(32).toString('base64url');

/** Only same-origin paths under /home are valid places to return to. */
function safeReturnTo(path: string): string {
  const rest = path.startsWith(paths.home) ? path.slice(paths.home.length) : undefined;
  return rest !== undefined && /^(\/[A-Za-z0-9._/-]*)?$/.test(rest) ? path : paths.home;
}

export class SelfLogin {
  readonly #d: SelfLoginDeps;
  /** Cookie path and redirects under the issuer's path. */
  readonly #public: PublicPaths;

  constructor(deps: SelfLoginDeps) {
    this.#d = deps;
    this.#public = publicPaths(issuerPath(deps.issuer));
  }

  get clientId(): string {
    return this.#d.clientId;
  }

  get redirectUri(): string {
    return `${this.#d.issuer}${paths.callback}`;
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#d.cookieSecret)
      .update(`web-flow:${payload}`)
      .digest('base64url');
  }

  #cookieOptions(ctx: Ctx, maxAgeSec: number) {
    return {
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: ctx.secure,
      path: this.#public.cookiePath,
      maxAge: maxAgeSec * 1000,
      overwrite: true,
      signed: false,
    };
  }

  #readFlow(ctx: Ctx): Flow | undefined {
    const raw = ctx.cookies.get(FLOW_COOKIE);
    if (raw === undefined || raw.length > 2048) return undefined;
    const [payload, mac] = raw.split('.');
    if (payload === undefined || mac === undefined) return undefined;
    const want = Buffer.from(this.#sign(payload));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    try {
      const flow = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Flow;
      return flow.exp > now() ? flow : undefined;
    } catch {
      return undefined;
    }
  }

  /** The session of this browser, if it has a live one. */
  async session(ctx: Ctx): Promise<WebSession | undefined> {
    return this.#d.sessions.find(ctx.cookies.get(SESSION_COOKIE));
  }

  /** Starts the code flow: a flow cookie, then a redirect to the authorization endpoint. */
  start(ctx: Ctx, returnTo: string): void {
    const flow: Flow = {
      state: random(),
      nonce: random(),
      verifier: random(),
      returnTo: safeReturnTo(returnTo),
      exp: now() + this.#d.flowTtlSec,
    };
    const payload = Buffer.from(JSON.stringify(flow), 'utf8').toString('base64url');
    ctx.cookies.set(
      FLOW_COOKIE,
      `${payload}.${this.#sign(payload)}`,
      this.#cookieOptions(ctx, this.#d.flowTtlSec),
    );
    const q = new URLSearchParams({
      client_id: this.#d.clientId,
      response_type: 'code',
      scope: SCOPE,
      redirect_uri: this.redirectUri,
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(`${this.#public.auth}?${q.toString()}`);
  }

  /** Finishes the code flow at /callback: checks state, exchanges the code, keeps the claims. */
  async finish(ctx: Ctx): Promise<CallbackResult> {
    const flow = this.#readFlow(ctx);
    ctx.cookies.set(FLOW_COOKIE, null, this.#cookieOptions(ctx, 0));
    const q = ctx.query;
    if (flow === undefined || typeof q['state'] !== 'string' || q['state'] !== flow.state)
      return {
        ok: false,
        status: 400,
        reason: 'This sign-in has expired or was started in another tab.',
        code: 'state_mismatch',
      };
    if (typeof q['error'] === 'string')
      return {
        ok: false,
        status: q['error'] === 'access_denied' ? 403 : 400,
        reason:
          typeof q['error_description'] === 'string'
            ? q['error_description']
            : 'The sign-in did not complete.',
        code: q['error'],
      };
    const code = q['code'];
    if (typeof code !== 'string' || code === '' || code.length > 512)
      return {
        ok: false,
        status: 400,
        reason: 'The sign-in answer has no code.',
        code: 'invalid_request',
      };

    const exchanged = await this.#exchange(ctx, code, flow);
    if (!exchanged.ok)
      return {
        ok: false,
        status: 400,
        reason: 'This sign-in could not be completed. Start again.',
        code: exchanged.error,
      };
    const { claims } = exchanged;
    if (claims['nonce'] !== flow.nonce)
      throw new Error('id_token nonce does not match the sign-in');
    const exp = claims['exp'] as number;
    const value = await this.#d.sessions.create({ claims, exp });
    ctx.cookies.set(SESSION_COOKIE, value, this.#cookieOptions(ctx, Math.max(1, exp - now())));
    return { ok: true, returnTo: flow.returnTo };
  }

  async #exchange(
    ctx: Ctx,
    code: string,
    flow: Flow,
  ): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; error: string }> {
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.redirectUri,
      code_verifier: flow.verifier,
    }).toString();
    const basic = Buffer.from(
      `${encodeURIComponent(this.#d.clientId)}:${encodeURIComponent(this.#d.clientSecret)}`,
    ).toString('base64');
    const issuer = new URL(this.#d.issuer);
    const res = await dispatchInProcess(this.#d.provider().callback(), {
      method: 'POST',
      path: paths.token,
      host: issuer.host,
      secure: issuer.protocol === 'https:',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${basic}`,
        // The session this login starts is the browser's: its device and address are recorded.
        'user-agent': ctx.get('user-agent'),
      },
      remoteAddress: ctx.ip,
      body,
    });
    const answer = parseJson(res.body);
    const error =
      typeof answer?.['error'] === 'string' ? answer['error'] : `status ${String(res.status)}`;
    if (res.status >= 500) throw new Error(`sigil-web code exchange failed: ${error}`);
    if (res.status !== 200 || typeof answer?.['id_token'] !== 'string') {
      ctx.state.log.info(
        { event: 'web.login.exchange_failed', error },
        'sigil-web code exchange refused',
      );
      return { ok: false, error };
    }
    // The token came straight from the provider in this process (no network hop to
    // authenticate, OIDC Core 3.1.3.7); its claims are still checked.
    const claims = decodeJwt(answer['id_token']);
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== this.#d.issuer || !aud.includes(this.#d.clientId))
      throw new Error('id_token from the token endpoint has an unexpected issuer or audience');
    if (typeof claims.exp !== 'number' || claims.exp <= now())
      throw new Error('id_token from the token endpoint has expired');
    return { ok: true, claims };
  }

  /** Ends the web session here (the provider's session is ended by /session/end). */
  async logout(ctx: Ctx): Promise<void> {
    await this.#d.sessions.destroy(ctx.cookies.get(SESSION_COOKIE));
    ctx.cookies.set(SESSION_COOKIE, null, this.#cookieOptions(ctx, 0));
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
