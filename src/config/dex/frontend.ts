import type { Findings } from './tree.js';
import {
  isObject,
  isSet,
  itemsAt,
  objectAt,
  strings,
  take,
  takeStrings,
  type JsonObject,
} from './tree.js';

/** Dex's `frontend` and `oauth2` sections. */

export function adaptFrontend(tree: JsonObject, found: Findings): void {
  const f = objectAt(tree, 'frontend');
  if (f === undefined) return;
  if (isSet(take(f, 'dir')))
    found.refuse(
      'frontend.dir',
      "sigil's pages are its own: remove dir; brand them with frontend.issuer, logoFile, theme and primaryColor",
    );
  if (isSet(take(f, 'logoURL')))
    found.note(
      'frontend.logoURL',
      'not applied: sigil serves the logo itself; set frontend.logoFile to a local image to show yours',
    );
  if (isSet(take(f, 'extra')))
    found.note('frontend.extra', "not applied: sigil's templates take no extra values");
  const theme = f['theme'];
  if (typeof theme === 'string' && !['light', 'dark', 'auto'].includes(theme)) {
    found.note('frontend.theme', `Dex theme "${theme}" has no counterpart: sigil uses auto`);
    f['theme'] = 'auto';
  }
}

const PASSWORD = 'password';
const REFRESH = 'refresh_token';
const UNSUPPORTED_GRANTS: Record<string, string> = {
  client_credentials: 'the client credentials grant',
  'urn:ietf:params:oauth:grant-type:token-exchange': 'token exchange',
};

/** `oauth2.grantTypes`, honoured as Dex does where sigil has the grant: per client. */
function adaptGrantTypes(tree: JsonObject, oauth2: JsonObject, found: Findings): void {
  const grants = takeStrings(oauth2, 'grantTypes', 'oauth2.grantTypes', found);
  if (grants === undefined) return;
  const clients = itemsAt(tree, 'staticClients');
  if (grants.includes(PASSWORD) && typeof oauth2['passwordConnector'] === 'string') {
    for (const [c] of clients) c['passwordGrant'] ??= true;
    found.note(
      'oauth2.grantTypes',
      'password: allowed for every static client, as in Dex (sigil can also allow it per client: staticClients[].passwordGrant)',
    );
  }
  if (!grants.includes(REFRESH)) for (const [c] of clients) c['refreshTokens'] ??= false;
  for (const g of grants)
    if (g in UNSUPPORTED_GRANTS)
      found.note('oauth2.grantTypes', `${g}: ${UNSUPPORTED_GRANTS[g]} is not offered by sigil`);
  if (!grants.includes('urn:ietf:params:oauth:grant-type:device_code'))
    found.note(
      'oauth2.grantTypes',
      'the device flow stays available (kubelogin --grant-type=device-code)',
    );
}

export function adaptOAuth2(tree: JsonObject, found: Findings, fromDex: boolean): void {
  const o = objectAt(tree, 'oauth2');
  if (o === undefined) {
    if (fromDex) defaultApprovalNote(found);
    return;
  }
  const responseTypes = takeStrings(o, 'responseTypes', 'oauth2.responseTypes', found) ?? [];
  if (responseTypes.some((t) => t !== 'code'))
    found.refuse(
      'oauth2.responseTypes',
      'the implicit flow (token, id_token) is not supported: remove them; clients use the authorization code flow with PKCE',
    );
  adaptGrantTypes(tree, o, found);
  if (take(o, 'alwaysShowLoginScreen') === true)
    found.note(
      'oauth2.alwaysShowLoginScreen',
      'not applied: with one connector sigil shows its login form directly',
    );
  adaptPkce(o, found);
  if (fromDex && o['skipApprovalScreen'] === undefined) defaultApprovalNote(found);
}

function adaptPkce(o: JsonObject, found: Findings): void {
  const pkce = take(o, 'pkce');
  if (pkce === undefined || pkce === null) return;
  if (!isObject(pkce)) {
    found.refuse(
      'oauth2.pkce',
      'expected a mapping of keys (enforce, codeChallengeMethodsSupported)',
    );
    return;
  }
  if (pkce['enforce'] === true)
    found.note(
      'oauth2.pkce.enforce',
      'sigil requires PKCE (S256) from public clients such as kubelogin; confidential clients may use it',
    );
  if (strings(pkce['codeChallengeMethodsSupported']).includes('plain'))
    found.note('oauth2.pkce.codeChallengeMethodsSupported', 'plain is not accepted: only S256');
}

function defaultApprovalNote(found: Findings): void {
  found.note(
    'oauth2.skipApprovalScreen',
    'unset: Dex shows the approval screen, sigil skips it for configured clients; set `skipApprovalScreen: false` to keep it',
  );
}
