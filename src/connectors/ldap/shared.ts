/**
 * The one place this folder reaches outside src/connectors/: it is two levels below src/, and
 * the `no-restricted-imports` rule (`../../*`) has no exception for the top-level modules every
 * part shares. Everything else in ldap/ imports these from here.
 */
// eslint-disable-next-line no-restricted-imports
export { AppError, errorMessage, isAppError } from '../../errors.js';
// eslint-disable-next-line no-restricted-imports
export { parseDuration } from '../../config/duration.js';
