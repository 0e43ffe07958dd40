import { z } from 'zod';
import { isValidGroupPattern } from '../../lib/index.js';

/**
 * The scope of sigil's admin API (`/api/v1`): granted only to people in `admin.groups` and,
 * through the client credentials grant, to the confidential clients in `admin.clients`.
 */
export const ADMIN_SCOPE = 'sigil:admin';

export const admin = z
  .object({
    groups: z
      .array(
        z
          .string()
          .min(1)
          .refine(isValidGroupPattern, { error: 'not a valid glob or /regular expression/' }),
      )
      .default([])
      .meta({
        description: `Directory groups whose members may be granted the \`${ADMIN_SCOPE}\` scope (and so call the admin API with their own access token): names, globs (\`platform-*\`) or /regular expressions/. Checked when the scope is granted and again at every call.`,
      }),
    clients: z
      .array(z.string().min(1))
      .default([])
      .meta({
        description: `Confidential \`staticClients\` ids that may get the \`${ADMIN_SCOPE}\` scope through the client credentials grant (automation: offboarding scripts, HR systems). Each gets the \`client_credentials\` grant type.`,
      }),
  })
  .strict();

interface AdminRuleInput {
  readonly admin: { readonly clients: readonly string[] };
  readonly staticClients: readonly { readonly id: string; readonly public: boolean }[];
}

/** `admin.clients` must name confidential static clients. */
export function adminIssues(c: AdminRuleInput): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  c.admin.clients.forEach((id, i) => {
    const client = c.staticClients.find((x) => x.id === id);
    if (client === undefined)
      out.push({ path: ['admin', 'clients', i], message: 'names no staticClients id' });
    else if (client.public)
      out.push({
        path: ['admin', 'clients', i],
        message: 'a public client cannot use the client credentials grant',
      });
  });
  return out;
}
