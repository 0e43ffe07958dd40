import type { Provider } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { AUDIENCE_SCOPE_PREFIX, audienceScope } from '../config/index.js';

/**
 * Extra audiences for id_tokens (Dex's cross-client trust). A client asks for an id_token that
 * another client — typically a cluster's audience — accepts too, with the scope
 * `audience:server:client_id:<id>`; it may do so only when client `<id>` lists it in
 * `trustedPeers`. The id_token then has `aud: [<requesting client>, <id>...]` and
 * `azp: <requesting client>`: kubelogin still verifies it against its own client id, and the
 * cluster's kube-apiserver (`--oidc-client-id=<id>`) finds its audience in it.
 *
 * The scope rides on the grant and the refresh token like any other, so refreshed and
 * device-flow id_tokens keep the audience; a peer dropped from the config is dropped from the
 * next id_token.
 */

/** The audiences a scope string names (`audience:server:client_id:<id>` entries), in order. */
export function requestedAudiences(scope: string | undefined): string[] {
  const out: string[] = [];
  for (const s of (scope ?? '').split(' ')) {
    if (s.startsWith(AUDIENCE_SCOPE_PREFIX)) {
      const id = s.slice(AUDIENCE_SCOPE_PREFIX.length);
      if (!out.includes(id)) out.push(id);
    }
  }
  return out;
}

/** Who may ask for whom, from `staticClients[].trustedPeers`. */
export class AudienceTrust {
  /** audience (the trusting client) → the clients it trusts to ask for it. */
  readonly #peers: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(
    clients: readonly { readonly id: string; readonly trustedPeers: readonly string[] }[],
  ) {
    this.#peers = new Map(
      clients.filter((c) => c.trustedPeers.length > 0).map((c) => [c.id, new Set(c.trustedPeers)]),
    );
  }

  /** The scopes oidc-provider must know: one per client that trusts a peer. */
  scopes(): string[] {
    return [...this.#peers.keys()].map(audienceScope);
  }

  /** Whether `clientId` may ask for id_tokens that `audience` accepts (always for itself). */
  allows(clientId: string, audience: string): boolean {
    return audience === clientId || this.#peers.get(audience)?.has(clientId) === true;
  }

  /**
   * Refuses a request naming an audience the client may not ask for, with invalid_scope (an
   * unknown audience too, rather than an id_token the cluster would reject later).
   */
  check(clientId: string, scope: string | undefined): void {
    for (const audience of requestedAudiences(scope)) {
      if (!this.allows(clientId, audience))
        throw new errors.InvalidScope(
          `client ${JSON.stringify(clientId)} may not ask for audience ${JSON.stringify(audience)}: that client must list it in trustedPeers`,
          audienceScope(audience),
        );
    }
  }

  /** The audiences besides the client's own that an id_token for this scope carries. */
  extraAudiences(clientId: string, scope: string | undefined): string[] {
    return requestedAudiences(scope).filter((a) => a !== clientId && this.allows(clientId, a));
  }
}

interface IdTokenInternals {
  scope?: string;
  client: { clientId: string };
  set(key: string, value: unknown): void;
}

/**
 * Makes the provider's id_tokens carry the extra audiences their scope asks for.
 * oidc-provider's IdToken.issue() takes `aud` from `client.clientId` and offers no hook, so
 * the subclass hands it a view of the client whose clientId is the audience list, for the
 * id_token only (logout tokens, userinfo and introspection keep the plain client). Only
 * asymmetric signing (the provider's own keys) is configured, so nothing else reads the
 * client id while signing. test/integration/interop/extra-audience.test.ts holds this to
 * go-oidc: if an oidc-provider upgrade changes issue(), that test fails.
 */
export function issueExtraAudiences(provider: Provider, trust: AudienceTrust): void {
  const Base = provider.IdToken;
  class IdToken extends Base {
    override async issue(
      context: Parameters<InstanceType<typeof Base>['issue']>[0],
    ): Promise<string> {
      const self = this as unknown as IdTokenInternals;
      const client = self.client;
      const extra =
        context.use === 'idtoken' ? trust.extraAudiences(client.clientId, self.scope) : [];
      if (extra.length === 0) return super.issue(context);
      self.set('azp', client.clientId);
      const view: unknown = Object.create(client, {
        clientId: { value: [client.clientId, ...extra] },
      });
      Object.assign(self, { client: view });
      try {
        return await super.issue(context);
      } finally {
        Object.assign(self, { client });
      }
    }
  }
  Object.defineProperty(provider, 'IdToken', { value: IdToken, configurable: true });
}
