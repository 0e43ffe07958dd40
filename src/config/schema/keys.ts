import { z } from 'zod';
import { formatDuration } from '../../lib/index.js';
import { duration, optionalDuration } from './common.js';

/** How long a key signs when neither `keys.rotationPeriod` nor `expiry.signingKeys` is set. */
export const DEFAULT_ROTATION_PERIOD_MS = 24 * 3_600_000;

const signingAlgorithm = z.enum(['RS256', 'ES256', 'EdDSA']);

export const keys = z
  .object({
    algorithm: signingAlgorithm.default('RS256').meta({
      description:
        "Algorithm of new signing keys: RS256 (RSA 2048, kube-apiserver's default), ES256 or EdDSA (only when every verifier accepts it, e.g. `--oidc-signing-algs`). A change takes effect at the next rotation.",
    }),
    rotationPeriod: optionalDuration(
      `How long a key signs before the published next key takes over (default \`${formatDuration(DEFAULT_ROTATION_PERIOD_MS)}\`). Dex calls it \`expiry.signingKeys\`, also accepted.`,
    ),
    leadTime: duration(
      '1h',
      'How long a new key is published in the JWKS before it may sign; also the longest JWKS `Cache-Control` max-age, so a verifier that caches the JWKS knows every key before it signs.',
    ),
    encryptionSecret: z.string().min(16).optional().meta({
      description:
        'Secret that encrypts private keys at rest (AES-256-GCM; at least 16 characters, better 32 random bytes). Also `encryptionSecretFile` or `${ENV}`. Without it private keys are stored in plaintext. Change it with `sigil keys reencrypt`.',
    }),
  })
  .strict();
