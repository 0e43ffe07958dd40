import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext, type ConnectionOptions, type SecureContextOptions } from 'node:tls';
import type { Filter } from 'ldapts';
import { parseAdminFilter, type LdapConfig } from '../../config/index.js';
import { AppError, errorMessage } from '../../errors.js';

/** One directory server of the `host` list. */
export interface LdapHost {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as logged and labelled in metrics. */
  readonly label: string;
  readonly url: string;
}

export type TlsMode = 'ldaps' | 'starttls' | 'none';

export interface UserMatcher {
  readonly userAttr: string;
  readonly groupAttr: string;
  readonly recursionGroupAttr?: string;
}

/** The configuration turned into what the connector runs with: parsed once, at startup. */
export interface LdapSettings {
  readonly hosts: readonly LdapHost[];
  readonly tlsMode: TlsMode;
  /** Options for tls.connect (ldaps) and startTLS; never used when tlsMode is 'none'. */
  readonly tls: ConnectionOptions;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly poolSize: number;
  readonly bind?: { readonly dn: string; readonly password: string };
  readonly userFilter?: Filter;
  readonly groupFilter?: Filter;
  readonly matchers: readonly UserMatcher[];
  readonly config: LdapConfig;
}

/** Splits `h1:636,h2,[::1]:389` into hosts; the default port follows the TLS mode. */
export function parseHosts(text: string, tlsMode: TlsMode): LdapHost[] {
  const defaultPort = tlsMode === 'ldaps' ? 636 : 389;
  const scheme = tlsMode === 'ldaps' ? 'ldaps' : 'ldap';
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(part);
      const host = m?.[1] ?? m?.[2];
      const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
      if (host === undefined || port < 1 || port > 65535)
        throw new AppError(
          'CONFIG_INVALID',
          `ldap host: cannot parse ${JSON.stringify(part)} (expected host:port)`,
        );
      const bracketed = isIP(host) === 6 ? `[${host}]` : host;
      return {
        host,
        port,
        label: `${bracketed}:${String(port)}`,
        url: `${scheme}://${bracketed}:${String(port)}`,
      };
    });
}

function readPem(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new AppError('TLS_INVALID', `ldap ${key}: cannot read ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/**
 * The TLS options every connection shares. The CA bundle, client certificate and minimum
 * version go into one SecureContext built here: tls.connect would otherwise build one for every
 * connection (each login's user bind opens one; a profile put that at 6-7% of a connector
 * login's CPU), and a client pair that does not load fails the start-up, not each login.
 */
function tlsOptions(cfg: LdapConfig): ConnectionOptions {
  const ctx: SecureContextOptions = { minVersion: 'TLSv1.2' };
  if (cfg.rootCA !== undefined) ctx.ca = readPem(cfg.rootCA, 'rootCA');
  else if (cfg.rootCAData !== undefined) {
    // Dex's rootCAData is []byte in JSON: base64 of the PEM. A pasted PEM is accepted as is.
    const data = cfg.rootCAData.includes('-----BEGIN')
      ? cfg.rootCAData
      : Buffer.from(cfg.rootCAData, 'base64').toString('utf8');
    if (!data.includes('-----BEGIN CERTIFICATE-----'))
      throw new AppError(
        'TLS_INVALID',
        'ldap rootCAData: not a base64-encoded PEM certificate bundle',
      );
    ctx.ca = data;
  }
  if (cfg.clientCert !== undefined) ctx.cert = readPem(cfg.clientCert, 'clientCert');
  if (cfg.clientKey !== undefined) ctx.key = readPem(cfg.clientKey, 'clientKey');
  let secureContext;
  try {
    secureContext = createSecureContext(ctx);
  } catch (err) {
    // Node ignores what in a CA bundle is no certificate; what fails is the client pair.
    const files = `clientCert ${cfg.clientCert ?? '-'}, clientKey ${cfg.clientKey ?? '-'}`;
    throw new AppError('TLS_INVALID', `ldap ${files}: ${errorMessage(err)}`, { cause: err });
  }
  return { rejectUnauthorized: !cfg.insecureSkipVerify, secureContext };
}

/**
 * TLS options for one host: the certificate must name that host. StartTLS upgrades an existing
 * socket, where tls.connect would otherwise check the name `localhost`, so `host` is explicit.
 */
export function tlsFor(settings: LdapSettings, host: LdapHost): ConnectionOptions {
  return isIP(host.host) === 0
    ? { ...settings.tls, host: host.host, servername: host.host }
    : { ...settings.tls, host: host.host };
}

function matchersOf(cfg: LdapConfig): UserMatcher[] {
  const g = cfg.groupSearch;
  if (g === undefined) return [];
  if (g.userMatchers !== undefined) {
    return g.userMatchers.map((m) => ({
      userAttr: m.userAttr,
      groupAttr: m.groupAttr,
      ...(m.recursionGroupAttr === undefined ? {} : { recursionGroupAttr: m.recursionGroupAttr }),
    }));
  }
  if (g.userAttr !== undefined && g.groupAttr !== undefined)
    return [
      {
        userAttr: g.userAttr,
        groupAttr: g.groupAttr,
        ...(g.recursionGroupAttr === undefined ? {} : { recursionGroupAttr: g.recursionGroupAttr }),
      },
    ];
  return [];
}

/**
 * The cross-field rules (TLS modes, bind password, group matchers, filters, timeouts) were
 * checked once, by the config schema (config/schema/ldap.ts); this only turns the config into
 * what the connector runs with.
 */
export function resolveLdapSettings(cfg: LdapConfig): LdapSettings {
  const tlsMode: TlsMode = cfg.insecureNoSSL ? 'none' : cfg.startTLS ? 'starttls' : 'ldaps';
  const hosts = parseHosts(cfg.host, tlsMode);
  const matchers = matchersOf(cfg);
  const userFilter =
    cfg.userSearch.filter === undefined
      ? undefined
      : parseAdminFilter(cfg.userSearch.filter, 'userSearch.filter');
  const groupFilter =
    cfg.groupSearch?.filter === undefined
      ? undefined
      : parseAdminFilter(cfg.groupSearch.filter, 'groupSearch.filter');
  const bind =
    cfg.bindDN === undefined || cfg.bindDN === ''
      ? undefined
      : { dn: cfg.bindDN, password: cfg.bindPW ?? '' };
  return {
    hosts,
    tlsMode,
    tls: tlsMode === 'none' ? {} : tlsOptions(cfg),
    connectTimeoutMs: cfg.connectTimeout,
    timeoutMs: cfg.timeout,
    poolSize: cfg.poolSize,
    ...(bind === undefined ? {} : { bind }),
    ...(userFilter === undefined ? {} : { userFilter }),
    ...(groupFilter === undefined ? {} : { groupFilter }),
    matchers,
    config: cfg,
  };
}
