import { createHash } from 'node:crypto';
import type { Adapter, KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { ProviderPages } from './pages.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Seconds a client must wait between two polls of the token endpoint (RFC 8628 §3.5). */
export const DEVICE_POLL_INTERVAL = 5;

/** The device authorization grant, with sigil's pages for the code entry, confirmation and success. */
export function deviceFlowFeature(pages: ProviderPages) {
  return {
    enabled: true,
    charset: 'base-20' as const,
    mask: '****-****',
    userCodeInputSource: (
      ctx: KoaContextWithOIDC,
      form: string,
      out?: { error?: string },
      err?: Error & { userCode?: string },
    ) => {
      let error: string | undefined;
      if (
        err !== undefined &&
        (err.userCode !== undefined || err.name === 'NoCodeError' || err.name === 'NotFoundError')
      ) {
        error = 'That code is not valid. Check the code your device shows and try again.';
      } else if (err?.name === 'ExpiredError') {
        error = 'That code has expired. Start again on your device.';
      } else if (err?.name === 'AlreadyUsedError') {
        error = 'That code was already used. Start again on your device.';
      } else if (err?.name === 'AbortedError') {
        error = 'The sign-in was cancelled.';
      } else if (err !== undefined || out !== undefined) {
        error = 'Something went wrong with that code. Start again on your device.';
      }
      return pages.deviceInput(ctx, form, { userCode: undefined, error });
    },
    userCodeConfirmSource: (
      ctx: KoaContextWithOIDC,
      form: string,
      client: { clientName?: string | undefined; clientId: string },
      _info: unknown,
      userCode: string,
    ) =>
      pages.deviceConfirm(ctx, form, {
        clientName: client.clientName ?? client.clientId,
        userCode,
      }),
    successSource: (ctx: KoaContextWithOIDC) => pages.deviceSuccess(ctx),
  };
}

interface PollRecord {
  at: number;
}

/**
 * oidc-provider defines `slow_down` but never sends it (library-notes.md): a device client
 * that polls the token endpoint faster than DEVICE_POLL_INTERVAL gets `slow_down` instead
 * of `authorization_pending`. The last poll time lives in the database (one row per device
 * code, keyed by its hash), so it holds across replicas.
 */
export function enforceDevicePolling(provider: Provider, store: Adapter, ttlSec: number): void {
  const minGapMs = DEVICE_POLL_INTERVAL * 1000 * 0.8; // tolerate network jitter
  provider.use(async (raw, next) => {
    await next();
    const ctx = raw as KoaContextWithOIDC;
    if ((ctx.oidc as KoaContextWithOIDC['oidc'] | undefined)?.route !== 'token') return;
    const params = ctx.oidc.params as Record<string, unknown> | undefined;
    if (params?.['grant_type'] !== DEVICE_GRANT) return;
    const body = ctx.body as { error?: string } | undefined;
    if (body?.error !== 'authorization_pending') return;
    const code = params['device_code'];
    if (typeof code !== 'string') return;
    const key = createHash('sha256').update(code).digest('base64url');
    const last = (await store.find(key)) as PollRecord | undefined;
    const now = Date.now();
    await store.upsert(key, { at: now }, ttlSec);
    if (last !== undefined && now - last.at < minGapMs) {
      ctx.status = 400;
      ctx.body = {
        error: 'slow_down',
        error_description: `poll at most every ${DEVICE_POLL_INTERVAL} seconds`,
      };
    }
  });
}
