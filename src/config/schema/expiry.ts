import { z } from 'zod';
import { duration, optionalDuration } from './common.js';

export const expiry = z
  .object({
    idTokens: duration('10m', 'Lifetime of id_tokens and access tokens.'),
    authRequests: duration('10m', 'Time a person has to finish logging in.'),
    deviceRequests: duration('10m', 'Lifetime of a device code.'),
    sessions: duration('24h', 'Lifetime of the browser session at sigil.'),
    signingKeys: optionalDuration('Dex name of `keys.rotationPeriod`.'),
    refreshTokens: z
      .object({
        reuseInterval: duration(
          '5s',
          'Grace window in which a just-rotated refresh token still works (a retried request).',
        ),
        validIfNotUsedFor: duration(
          '168h',
          'A refresh token unused this long expires (idle lifetime).',
        ),
        absoluteLifetime: duration(
          '720h',
          'Longest a chain of refresh tokens lives after the login.',
        ),
      })
      .strict()
      .prefault({}),
  })
  .strict();
