import Provider, { type Configuration, errors } from 'oidc-provider';
import type { Logger } from '../log.js';

export { Provider, errors };

export interface ProviderOptions {
  issuer: string;
  configuration: Configuration;
  /** Trust X-Forwarded-* (sigil behind a TLS proxy). */
  proxy: boolean;
  log: Logger;
}

/** Error names oidc-provider emits for requests that are the client's fault: logged at info. */
const CLIENT_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'invalid_scope',
  'unauthorized_client',
  'unsupported_grant_type',
  'unsupported_response_type',
  'invalid_redirect_uri',
  'access_denied',
  'login_required',
  'consent_required',
  'interaction_required',
  'invalid_token',
  'invalid_client_metadata',
  'authorization_pending',
  'slow_down',
  'expired_token',
  'temporarily_unavailable',
  'session_not_found',
  'invalid_target',
]);

function describe(err: unknown): Record<string, unknown> {
  if (err instanceof errors.OIDCProviderError) {
    return { error: err.error, error_description: err.error_description, status: err.status };
  }
  return { err };
}

/**
 * Builds an oidc-provider instance and subscribes, in one place, to the events worth logging
 * (docs/events.md of oidc-provider). Nothing here logs a token, code or secret: only error
 * names and descriptions, which oidc-provider never fills with credentials.
 */
export function createProvider(opts: ProviderOptions): Provider {
  const provider = new Provider(opts.issuer, opts.configuration);
  provider.proxy = opts.proxy;
  const log = opts.log.child({ component: 'oidc' });
  const onError = (event: string) => (_ctx: unknown, err: unknown) => {
    const name = err instanceof errors.OIDCProviderError ? err.error : undefined;
    // Any exposed 4xx is the requester's fault (request_not_supported, invalid_request_object, ...).
    const clientFault =
      err instanceof errors.OIDCProviderError && err.status < 500 && event !== 'server_error';
    if ((name !== undefined && CLIENT_ERRORS.has(name)) || clientFault)
      log.info({ event, ...describe(err) }, event);
    else log.error({ event, ...describe(err) }, event);
  };
  for (const event of [
    'server_error',
    'authorization.error',
    'grant.error',
    'end_session.error',
    'introspection.error',
    'revocation.error',
    'userinfo.error',
    'discovery.error',
    'jwks.error',
    'backchannel.error',
    'device_authorization.error',
    'registration_read.error',
  ]) {
    // The typed overloads are per event; the loop subscribes through the plain EventEmitter API.
    (provider as unknown as NodeJS.EventEmitter).on(event, onError(event));
  }
  return provider;
}
