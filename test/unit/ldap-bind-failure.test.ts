import {
  ConstraintViolationError,
  InvalidCredentialsError,
  OperationsError,
  UnwillingToPerformError,
} from 'ldapts';
import { describe, expect, it } from 'vitest';
import { adSubCode, bindFailureReason } from '../../src/connectors/ldap/bind-failure.js';

const ad = (code: string) =>
  `80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data ${code}, v3839`;

describe('bind failures', () => {
  it.each([
    ['52e', 'bad_password'],
    ['525', 'unknown_user'],
    ['530', 'disabled'],
    ['531', 'disabled'],
    ['532', 'password_expired'],
    ['533', 'disabled'],
    ['701', 'expired'],
    ['773', 'must_change_password'],
    ['775', 'locked'],
    ['999', 'bad_password'],
  ])('reads AD sub-code %s as %s', (code, reason) => {
    expect(bindFailureReason(new InvalidCredentialsError(ad(code)))).toBe(reason);
  });

  it('treats InvalidCredentials without a sub-code and ConstraintViolation as bad passwords', () => {
    expect(bindFailureReason(new InvalidCredentialsError())).toBe('bad_password');
    expect(bindFailureReason(new ConstraintViolationError('password in history'))).toBe(
      'bad_password',
    );
  });

  it('leaves every other error to the caller (an outage is not a wrong password)', () => {
    expect(bindFailureReason(new UnwillingToPerformError('unauthenticated bind'))).toBeUndefined();
    expect(bindFailureReason(new OperationsError('x'))).toBeUndefined();
    expect(bindFailureReason(new Error('socket hang up'))).toBeUndefined();
  });

  it('finds the sub-code only in AD diagnostics', () => {
    expect(adSubCode(ad('52E'))).toBe('52e');
    expect(adSubCode('invalid credentials')).toBeUndefined();
  });
});
