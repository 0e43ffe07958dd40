import { z } from 'zod';
import { hostPort } from './common.js';

export const web = z
  .object({
    http: hostPort.optional().meta({
      description: 'Plain-HTTP listen address, e.g. `0.0.0.0:5556` (behind a TLS proxy).',
    }),
    https: hostPort
      .optional()
      .meta({ description: 'HTTPS listen address; needs `tlsCert` and `tlsKey`.' }),
    tlsCert: z
      .string()
      .optional()
      .meta({ description: 'PEM certificate chain file; reloaded when it changes.' }),
    tlsKey: z
      .string()
      .optional()
      .meta({ description: 'PEM private key file; reloaded when it changes.' }),
    tlsCA: z.string().optional().meta({
      description:
        'PEM file of the CA that signed `tlsCert`, given to kube-apiserver (`--oidc-ca-file`).',
    }),
    proxy: z.boolean().default(false).meta({
      description: 'Trust X-Forwarded-For/-Proto from a TLS-terminating proxy in front of sigil.',
    }),
    maxRequestBytes: z.number().int().min(1024).max(10_485_760).default(65_536).meta({
      description: 'Largest request body accepted (bytes); larger gets 413.',
    }),
    proxyHops: z.number().int().min(1).max(10).default(1).meta({
      description:
        'With `proxy: true`: how many proxies in front of sigil append to X-Forwarded-For. The client address (for login throttling and the audit trail) is the entry this many from the right; entries further left are client-supplied and ignored.',
    }),
  })
  .strict();
