import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * Who may introspect or revoke a token: only the client it was issued to. oidc-provider's
 * default lets any confidential client introspect any token (and learn whose it is and
 * what it may do); sigil has no separate resource servers (kube-apiserver verifies the
 * id_token itself), so there is no one else who needs to.
 */
export function ownTokensOnly(
  _ctx: KoaContextWithOIDC,
  client: { clientId: string },
  token: { clientId?: string | undefined },
): boolean {
  return token.clientId === client.clientId;
}

/** The `gty` of a refresh token made from an imported Dex one (dex-imports.ts): rotated on its first use, whatever the client. */
export const DEX_IMPORT_GTY = 'dex_import';
