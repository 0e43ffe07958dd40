import { errors } from 'oidc-provider';
import { AppError, ERROR_CODES } from '../errors.js';

/**
 * A dependency sigil needs for this request (the database, the directory) cannot be reached:
 * `503 temporarily_unavailable` with a description saying which and that a retry will do, in
 * JSON at the token endpoint and as a page where a person waits. oidc-provider answers any
 * other thrown error with `server_error: oops! something went wrong`.
 */
class TemporarilyUnavailable extends errors.CustomOIDCProviderError {
  constructor(description: string) {
    super('temporarily_unavailable', description);
    Object.assign(this, { status: 503, statusCode: 503, expose: true });
  }
}

/**
 * A dependency outage (an AppError with a 503 status: DB_UNAVAILABLE, KEYS_UNAVAILABLE,
 * CONNECTOR_UNAVAILABLE) as TemporarilyUnavailable, for code oidc-provider calls; anything
 * else is returned as it was.
 */
export function retryable(err: unknown): unknown {
  if (err instanceof AppError && err.status === 503)
    return new TemporarilyUnavailable(`${ERROR_CODES[err.code].description} Retry shortly.`);
  return err;
}
