import { X509Certificate } from 'node:crypto';
import { z } from 'zod';

/**
 * kube-apiserver's AuthenticationConfiguration (apiserver.config.k8s.io/v1beta1 and v1),
 * written from the upstream Go types (k8s.io/apiserver/pkg/apis/apiserver/v1beta1/types.go)
 * with their JSON field names, strict: an unknown or misspelt field fails, as kube-apiserver's
 * strict decoding does. The refinements follow the API server's validation
 * (pkg/apis/apiserver/validation): https issuer, non-empty unique audiences, MatchAny for
 * several audiences, claim xor expression, a prefix with every claim, PEM CA.
 */

const nonEmpty = z.string().min(1);

const prefixedClaimOrExpression = z
  .object({
    claim: z.string().optional(),
    prefix: z.string().optional(),
    expression: z.string().optional(),
  })
  .strict()
  .refine(
    (v) =>
      (v.claim !== undefined && v.claim !== '') !==
      (v.expression !== undefined && v.expression !== ''),
    {
      error: 'exactly one of claim and expression',
    },
  )
  .refine((v) => v.claim === undefined || v.prefix !== undefined, {
    error: 'prefix must be set (it may be empty) when claim is set',
  })
  .refine((v) => v.expression === undefined || v.prefix === undefined, {
    error: 'prefix and expression are mutually exclusive',
  });

const claimOrExpression = z
  .object({ claim: z.string().optional(), expression: z.string().optional() })
  .strict()
  .refine((v) => (v.claim !== undefined) !== (v.expression !== undefined), {
    error: 'exactly one of claim and expression',
  });

const claimValidationRule = z
  .object({
    claim: z.string().optional(),
    requiredValue: z.string().optional(),
    expression: z.string().optional(),
    message: z.string().optional(),
  })
  .strict()
  .refine((v) => (v.claim !== undefined) !== (v.expression !== undefined), {
    error: 'exactly one of claim and expression',
  })
  .refine((v) => v.claim === undefined || v.message === undefined, {
    error: 'message goes with expression only',
  });

const pem = z.string().refine(
  (v) => {
    const blocks = v.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
    if (blocks === null) return false;
    try {
      for (const b of blocks) new X509Certificate(b);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'certificateAuthority must be PEM certificates' },
);

const issuer = z
  .object({
    url: z.url().refine((u) => u.startsWith('https://'), { error: 'issuer url must be https' }),
    discoveryURL: z.url().optional(),
    certificateAuthority: pem.optional(),
    audiences: z.array(nonEmpty).min(1),
    audienceMatchPolicy: z.enum(['MatchAny']).optional(),
    egressSelectorType: z.enum(['controlplane', 'cluster']).optional(),
  })
  .strict()
  .refine((v) => new Set(v.audiences).size === v.audiences.length, {
    error: 'duplicate audience',
  })
  .refine((v) => v.audiences.length === 1 || v.audienceMatchPolicy === 'MatchAny', {
    error: 'audienceMatchPolicy must be MatchAny with several audiences',
  });

const jwtAuthenticator = z
  .object({
    issuer,
    claimValidationRules: z.array(claimValidationRule).optional(),
    claimMappings: z
      .object({
        username: prefixedClaimOrExpression,
        groups: prefixedClaimOrExpression.optional(),
        uid: claimOrExpression.optional(),
        extra: z.array(z.object({ key: nonEmpty, valueExpression: nonEmpty }).strict()).optional(),
      })
      .strict(),
    userValidationRules: z
      .array(z.object({ expression: nonEmpty, message: z.string().optional() }).strict())
      .optional(),
  })
  .strict();

export const authenticationConfigurationSchema = z
  .object({
    apiVersion: z.enum(['apiserver.config.k8s.io/v1beta1', 'apiserver.config.k8s.io/v1']),
    kind: z.literal('AuthenticationConfiguration'),
    jwt: z.array(jwtAuthenticator).min(1).max(64),
    anonymous: z
      .object({
        enabled: z.boolean(),
        conditions: z.array(z.object({ path: nonEmpty }).strict()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((v) => new Set(v.jwt.map((j) => j.issuer.url)).size === v.jwt.length, {
    error: 'issuer urls must be unique',
  });
