import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { hashPassword } from '../../src/connectors/static/index.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Client, Res } from './http-client.js';
import { kubeloginTokens, tokenRequest, type Tokens } from './oidc-flow.js';
import { aliceEntry, ALICE, KUBECTL_CLIENT } from './sigil.js';

/** The group whose members are admins in the API fixtures. */
export const ADMINS_GROUP = 'sigil-admins';

/** A second person, never an admin. */
export const BOB = {
  username: 'bob',
  email: 'bob@example.com',
  password: 'bob has another long passphrase',
  userID: '0f6c2a1e-7d3b-4b8a-9e5f-6a7b8c9d0e1f',
};

/** The confidential automation client of `admin.clients`. */
export const OPS = { clientId: 'ops', clientSecret: 'ops-secret-value-789' };
/** A confidential client that is not an admin client. */
export const OTHER = { clientId: 'other-app', clientSecret: 'other-secret-value-012' };

/** Config of a sigil with the API fixtures: alice an admin, bob not, `ops` an admin client. */
export async function apiConfig(): Promise<Partial<ConfigInput>> {
  return {
    staticPasswords: [
      await aliceEntry({ groups: ['developers', ADMINS_GROUP] }),
      {
        username: BOB.username,
        email: BOB.email,
        userID: BOB.userID,
        hash: await hashPassword(BOB.password),
        groups: ['developers'],
      },
    ],
    staticClients: [
      KUBECTL_CLIENT,
      { id: OPS.clientId, secret: OPS.clientSecret, redirectURIs: ['https://ops.example.com/cb'] },
      {
        id: OTHER.clientId,
        secret: OTHER.clientSecret,
        redirectURIs: ['https://other.example.com/cb'],
      },
    ],
    admin: { groups: [ADMINS_GROUP], clients: [OPS.clientId] },
  };
}

/** A person's kubelogin-style login asking for `scope`; their tokens. */
export function personTokens(
  c: Client,
  user: { username: string; password: string },
  scope = 'openid groups sigil:admin',
): Promise<Tokens> {
  return kubeloginTokens(c, user, { scope });
}

/** A client credentials token of `client` (default the admin client `ops`). */
export async function clientToken(
  c: Client,
  client: { clientId: string; clientSecret: string } = OPS,
  scope = 'sigil:admin',
): Promise<string> {
  const r = await tokenRequest(c, { grant_type: 'client_credentials', scope }, client);
  expect(r.status, r.text).toBe(200);
  return r.json<{ access_token: string }>().access_token;
}

/** ALICE as the fixtures' admin person. */
export const ADMIN_PERSON = ALICE;

/** An API call with a bearer token and, for a body, JSON. */
export function api(
  c: Client,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<Res> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return c.request(method, `/api/v1${path}`, {
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { responses: Record<string, unknown> };
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/**
 * Checks answers against the OpenAPI document the server serves: the status must be one the
 * operation declares, and the body must match that response's schema (ajv, JSON Schema
 * 2020-12 as OpenAPI 3.1 uses it).
 */
export class ApiContract {
  readonly #doc: Doc;
  readonly #ajv: Ajv2020;
  readonly checked = new Set<string>();

  constructor(doc: unknown) {
    this.#doc = doc as Doc;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.#ajv);
    this.#ajv.addSchema(doc as object, 'api.json');
  }

  /** The document's path template that `path` (no query) matches. */
  template(path: string): string {
    const bare = path.split('?')[0] ?? path;
    for (const t of Object.keys(this.#doc.paths)) {
      const re = new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (re.test(bare)) return t;
    }
    throw new Error(`no path of the OpenAPI document matches ${bare}`);
  }

  /** Asserts that `res` (an answer to `method path`) is what the document says. */
  check(method: string, path: string, res: Res): void {
    const t = this.template(path);
    const op = this.#doc.paths[t]?.[method.toLowerCase()];
    expect(op, `${method} ${t} is in the document`).toBeDefined();
    let response = op!.responses[String(res.status)] as { $ref?: string } | undefined;
    expect(
      response,
      `${method} ${t} declares ${res.status}: ${res.text.slice(0, 200)}`,
    ).toBeDefined();
    let pointer = `#/paths/${t.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${res.status}`;
    if (response?.$ref !== undefined) {
      pointer = response.$ref;
      const name = response.$ref.split('/').pop()!;
      response = this.#doc.components.responses[name] as { $ref?: string };
    }
    const content = (response as { content?: Record<string, unknown> }).content;
    if (content === undefined) {
      expect(res.text).toBe('');
      return;
    }
    const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
    expect(Object.keys(content), `content type ${type}`).toContain(type);
    const validate = this.#ajv.getSchema(
      `api.json${pointer}/content/${type.replace('/', '~1')}/schema`,
    );
    expect(validate, 'a compiled schema').toBeDefined();
    const ok = validate!(res.json());
    expect(ok, `${method} ${path} ${res.status}: ${JSON.stringify(validate!.errors)}`).toBe(true);
    this.checked.add(`${method.toUpperCase()} ${t} ${res.status}`);
  }
}
