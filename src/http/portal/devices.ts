import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import type { RouterMiddleware } from '@koa/router';
import { grantName, type SessionService } from '../../security/index.js';
import type { LoginSession } from '../../storage/index.js';
import { paths, renderErrorPage, type SigilState, type Views } from '../shared/index.js';
import { formToken, formTokenMatches } from './form-token.js';
import type { SelfLogin } from './self-login.js';

export interface DevicesDeps {
  readonly views: Views;
  readonly login: SelfLogin;
  readonly sessions: SessionService;
  /** Key of the page's CSRF tokens (bound to the person's session id). */
  readonly csrfKey: string;
  /** A client's display name. */
  readonly clientName: (clientId: string) => string;
  readonly maxBodyBytes: number;
}

type Handler = RouterMiddleware<SigilState>;

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

const HOW: Readonly<Record<string, string>> = {
  authorization_code: 'browser sign-in',
  device_code: 'device code',
  password: 'password',
};

/** The signed-in person: their sub and this browser's session id. */
async function who(
  deps: DevicesDeps,
  ctx: Parameters<Handler>[0],
): Promise<{ sub: string; sid: string | undefined } | undefined> {
  const session = await deps.login.session(ctx);
  const sub = session?.claims['sub'];
  if (typeof sub !== 'string') return undefined;
  const sid = session?.claims['sid'];
  return { sub, sid: typeof sid === 'string' ? sid : undefined };
}

const csrfToken = (deps: DevicesDeps, sub: string): string =>
  formToken(deps.csrfKey, 'devices', sub);

const csrfValid = (deps: DevicesDeps, sub: string, given: unknown): boolean =>
  formTokenMatches(csrfToken(deps, sub), given);

const when = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function row(deps: DevicesDeps, s: LoginSession, currentSid: string | undefined) {
  return {
    id: s.id,
    device: s.device,
    client: deps.clientName(s.clientId),
    how: HOW[grantName(s.grantType)] ?? grantName(s.grantType),
    lastUsed: when(s.lastUsedAt),
    lastUsedIso: s.lastUsedAt.toISOString(),
    created: when(s.createdAt),
    createdIso: s.createdAt.toISOString(),
    ip: s.ipLast ?? s.ipFirst,
    current: s.id === currentSid,
  };
}

function notFound(deps: DevicesDeps, ctx: Parameters<Handler>[0]): void {
  renderErrorPage(
    ctx,
    deps.views,
    404,
    'No such session',
    'You have no active session with that id. It may have ended already.',
    'session_not_found',
  );
}

/** GET /home/devices: the person's own sessions, newest use first, this browser's marked. */
function devicesPage(deps: DevicesDeps): Handler {
  return async (ctx) => {
    const me = await who(deps, ctx);
    if (me === undefined) {
      deps.login.start(ctx, paths.homeDevices);
      return;
    }
    const list = await deps.sessions.list({ sub: me.sub, limit: 200 });
    const ended = Number(ctx.query['ended']);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = deps.views.page('devices', 'Your devices', {
      sessions: list.map((s) => row(deps, s, me.sid)),
      others: list.filter((s) => s.id !== me.sid).length,
      ended: Number.isInteger(ended) && ended >= 0 && ended <= 10_000 ? ended : undefined,
    });
  };
}

/** GET /home/devices/end: the confirmation of one ending (`session=`) or of all others. */
function confirmPage(deps: DevicesDeps): Handler {
  return async (ctx) => {
    const me = await who(deps, ctx);
    if (me === undefined) {
      deps.login.start(ctx, paths.homeDevices);
      return;
    }
    const id = ctx.query['session'];
    let data;
    if (typeof id === 'string') {
      const s = SESSION_ID.test(id) ? await deps.sessions.get(id) : undefined;
      if (s?.sub !== me.sub || s.endedAt !== undefined) {
        notFound(deps, ctx);
        return;
      }
      const name = `${s.device} · ${deps.clientName(s.clientId)}`;
      data = {
        heading: 'Sign out this device?',
        message: `${name} will have to sign in again. Its tokens stop working at once.`,
        session: s.id,
        current: s.id === me.sid,
        confirm: 'Sign out',
      };
    } else {
      data = {
        heading: 'Sign out everywhere else?',
        message:
          'Every other browser, kubectl and device signed in as you will have to sign in again. This browser stays signed in.',
        session: undefined,
        current: false,
        confirm: 'Sign out everywhere else',
      };
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = deps.views.page('devices-confirm', data.heading, {
      ...data,
      csrf: csrfToken(deps, me.sub),
    });
  };
}

/** POST /home/devices/end: ends one of the person's own sessions, or all but this one. */
function endSessions(deps: DevicesDeps): Handler {
  return async (ctx) => {
    const me = await who(deps, ctx);
    const form = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
    if (me === undefined || !csrfValid(deps, me.sub, form['csrf'])) {
      renderErrorPage(
        ctx,
        deps.views,
        403,
        'Not signed out',
        'This form has expired or was not sent from your devices page. Open the page again and retry.',
        'csrf',
      );
      return;
    }
    const actor = { kind: 'person' as const, id: me.sub };
    const id = form['session'];
    let ended: number;
    let self = false;
    if (typeof id === 'string') {
      const r = SESSION_ID.test(id)
        ? await deps.sessions.endSessions(
            { kind: 'one', id, sub: me.sub },
            { actor, reason: 'signed_out_by_user' },
          )
        : undefined;
      if (r === undefined || r.ended.length === 0) {
        notFound(deps, ctx);
        return;
      }
      ended = r.ended.length;
      self = id === me.sid;
    } else if (form['others'] === '1' && me.sid !== undefined) {
      const r = await deps.sessions.endSessions(
        { kind: 'others', sub: me.sub, currentId: me.sid },
        { actor, reason: 'signed_out_elsewhere' },
      );
      ended = r.ended.length;
    } else {
      notFound(deps, ctx);
      return;
    }
    ctx.status = 303;
    ctx.redirect(self ? paths.root : `${paths.homeDevices}?ended=${String(ended)}`);
  };
}

/** "Your devices": /home/devices and its confirmed, CSRF-protected sign-outs. */
export function devicesRoutes(router: Router<SigilState>, deps: DevicesDeps): void {
  const form: Handler = bodyParser({
    enableTypes: ['form'],
    formLimit: `${deps.maxBodyBytes}b`,
    encoding: 'utf-8',
  });
  router.get(paths.homeDevices, devicesPage(deps));
  router.get(paths.homeDevicesEnd, confirmPage(deps));
  router.post(paths.homeDevicesEnd, form, endSessions(deps));
}
