import { z } from 'zod';
import { ldapConfigSchema } from './ldap.js';

/** The upstream identity sources: LDAP connectors (ldap.ts) and the password DB (static-users.ts). */
export const connector = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('ldap'),
      id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _'),
      name: z.string().min(1),
      config: ldapConfigSchema,
    })
    .strict(),
]);

/** The connector id of the password DB (`enablePasswordDB`), as in Dex. */
export const LOCAL_CONNECTOR_ID = 'local';
