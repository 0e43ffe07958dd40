import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * The pages oidc-provider asks for (error, logout, device flow). Types only: http/ renders
 * them from views/, oidc/ calls them from the provider's hooks.
 */
export interface ProviderPages {
  /** An error the provider cannot redirect back to the client (bad client_id, bad redirect_uri...). */
  error(
    ctx: KoaContextWithOIDC,
    error: { error: string; description?: string | undefined },
  ): Promise<void>;
  /** An address nothing answers at (no route of sigil's or oidc-provider's): a 404 page or JSON. */
  notFound(ctx: KoaContextWithOIDC): Promise<void>;
  /** The logout confirmation; `form` is oidc-provider's own hidden form (with its xsrf token). */
  logout(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  logoutSuccess(ctx: KoaContextWithOIDC): Promise<void>;
  deviceInput(
    ctx: KoaContextWithOIDC,
    form: string,
    opts: { userCode?: string | undefined; error?: string | undefined },
  ): Promise<void>;
  deviceConfirm(
    ctx: KoaContextWithOIDC,
    form: string,
    opts: { clientName: string; userCode: string },
  ): Promise<void>;
  deviceSuccess(ctx: KoaContextWithOIDC): Promise<void>;
}
