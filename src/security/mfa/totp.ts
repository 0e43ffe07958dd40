import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as every authenticator app does it: SHA-1, 6 digits, 30 s steps. */
export const TOTP_PERIOD_SEC = 30;
const DIGITS = 6;
/** One step of clock skew either way. */
const WINDOW = 1;

/** A new random secret (160 bits, RFC 4226's recommendation), base32 as apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, issuer = 'sigil', label = 'sigil'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: TOTP_PERIOD_SEC,
    secret: Secret.fromBase32(secret),
  });
}

/** The `otpauth://totp/...` URI an app scans (the QR code) or a person types in. */
export function totpUri(secret: string, issuer: string, account: string): string {
  return totp(secret, issuer, account).toString();
}

/** Whether `code` looks like a TOTP code at all (six digits, spaces allowed between). */
export function normaliseTotpCode(code: string): string | undefined {
  if (code.length > 16) return undefined;
  const digits = code.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : undefined;
}

/**
 * The time step `code` is valid for (within one step of `nowMs`), or undefined. The caller
 * accepts that step only if it is later than the last one used (no replay).
 */
export function totpStep(secret: string, code: string, nowMs: number): number | undefined {
  const token = normaliseTotpCode(code);
  if (token === undefined) return undefined;
  const delta = totp(secret).validate({ token, timestamp: nowMs, window: WINDOW });
  if (delta === null) return undefined;
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SEC) + delta;
}
