import { ConstraintViolationError, InvalidCredentialsError } from 'ldapts';
import type { LoginFailureReason } from '../connector.js';

/**
 * Active Directory explains a failed bind (result 49) in the diagnostic message:
 * `80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v3839`.
 * The `data` sub-code says why. AD only reports the account-state codes (530-533, 701, 773,
 * 775) when the password was right, so they never confirm a guessed password as wrong.
 */
const AD_SUB_CODES: Readonly<Record<string, LoginFailureReason>> = {
  '525': 'unknown_user', // user not found
  '52e': 'bad_password', // invalid credentials
  '530': 'disabled', // not permitted to log on at this time
  '531': 'disabled', // not permitted to log on at this workstation
  '532': 'password_expired',
  '533': 'disabled', // account disabled
  '701': 'expired', // account expired
  '773': 'must_change_password', // user must reset password
  '775': 'locked', // account locked out
};

/** The AD sub-code of a bind failure (`52e`, `775`...), if the message carries one. */
export function adSubCode(message: string): string | undefined {
  return /\bdata ([0-9a-f]{3,8})\b/i.exec(message)?.[1]?.toLowerCase();
}

/**
 * What a failed user bind means, or undefined when the failure is not about the credentials
 * (anything else is an error of the directory, not of the person). InvalidCredentials and
 * ConstraintViolation are bad passwords (Dex), refined by AD's sub-code when there is one.
 */
export function bindFailureReason(err: unknown): LoginFailureReason | undefined {
  if (!(err instanceof InvalidCredentialsError) && !(err instanceof ConstraintViolationError))
    return undefined;
  const code = adSubCode(err.message);
  return (code === undefined ? undefined : AD_SUB_CODES[code]) ?? 'bad_password';
}
