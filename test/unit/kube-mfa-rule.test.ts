import { isCelError, run } from '@bufbuild/cel';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterSchema, type ClusterConfig } from '../../src/config/schema/clusters.js';
import {
  buildAuthenticationConfiguration,
  renderApiServerFlags,
  renderAuthenticationConfiguration,
} from '../../src/kube/index.js';
import { authenticationConfigurationSchema } from '../support/authentication-config-schema.js';

/**
 * A `requireMFA` cluster: the wiring sigil prints makes the API server itself refuse a token
 * from a password-only login. The CEL rule is evaluated here with a CEL implementation
 * (@bufbuild/cel) against the claims of tokens with and without a second factor, and the
 * whole configuration is checked against the Kubernetes schema.
 */

const ISSUER = 'https://sigil.example.com';

function cluster(extra: Partial<ClusterConfig> = {}): ClusterConfig {
  return clusterSchema.parse({
    name: 'prod',
    server: 'https://api.prod.example.com:6443',
    clientID: 'kubernetes',
    ...extra,
  });
}

const BASE = { iss: ISSUER, aud: 'kubernetes', sub: 'u1', email: 'a@example.org' };
const MFA_TOKEN = { ...BASE, acr: 'urn:sigil:mfa', amr: ['pwd', 'otp', 'mfa'], auth_time: 1 };
const PWD_TOKEN = { ...BASE, acr: 'urn:sigil:pwd', amr: ['pwd'], auth_time: 1 };
const OLD_TOKEN = { ...BASE };

/**
 * The acr rules of the configuration, evaluated over `claims`: all must hold. (The
 * email_verified rule uses CEL's optional syntax `.?`, which @bufbuild/cel does not parse; it
 * is covered by the kube tests already.)
 */
function admits(rules: readonly { expression: string }[], claims: object): boolean {
  return rules
    .filter((r) => r.expression.includes('acr'))
    .every((r) => {
      const v = run(r.expression, { claims: claims as Record<string, never> });
      if (isCelError(v)) throw new Error(`CEL error in ${r.expression}: ${String(v)}`);
      return v === true;
    });
}

describe('requireMFA in the API server wiring', () => {
  it('adds a claimValidationRule that refuses a token without MFA and accepts one with it', () => {
    const c = buildAuthenticationConfiguration({
      issuer: ISSUER,
      cluster: cluster({ requireMFA: true }),
    });
    authenticationConfigurationSchema.parse(c);
    const rules = c.jwt[0]?.claimValidationRules ?? [];
    const mfa = rules.find((r) => r.expression.includes('acr'));
    expect(mfa?.message).toMatch(/requires a multi-factor login/);
    expect(admits(rules, MFA_TOKEN)).toBe(true);
    expect(admits(rules, PWD_TOKEN)).toBe(false);
    expect(admits(rules, OLD_TOKEN)).toBe(false);
    expect(admits(rules, { ...MFA_TOKEN, acr: ['urn:sigil:mfa'] })).toBe(false);
    // The YAML form parses back to the same thing and passes the schema in v1 too.
    const yaml = renderAuthenticationConfiguration({
      issuer: ISSUER,
      cluster: cluster({ requireMFA: true }),
      apiVersion: 'v1',
    });
    expect(authenticationConfigurationSchema.parse(parse(yaml))).toBeTruthy();
  });

  it('keeps the rule alongside the email_verified rule, and leaves it out without requireMFA', () => {
    const withMfa = buildAuthenticationConfiguration({
      issuer: ISSUER,
      cluster: cluster({ requireMFA: true }),
    });
    expect(withMfa.jwt[0]?.claimValidationRules).toHaveLength(2);
    const without = buildAuthenticationConfiguration({ issuer: ISSUER, cluster: cluster() });
    const rules = without.jwt[0]?.claimValidationRules ?? [];
    expect(rules.some((r) => r.expression.includes('acr'))).toBe(false);
    expect(admits(rules, PWD_TOKEN)).toBe(true);
    const sub = buildAuthenticationConfiguration({
      issuer: ISSUER,
      cluster: cluster({ usernameClaim: 'sub', requireMFA: true }),
    });
    authenticationConfigurationSchema.parse(sub);
    expect(sub.jwt[0]?.claimValidationRules).toHaveLength(1);
  });

  it('adds --oidc-required-claim=acr=urn:sigil:mfa to the flags of a requireMFA cluster only', () => {
    const flags = (requireMFA: boolean) =>
      renderApiServerFlags({
        issuer: ISSUER,
        cluster: cluster({ requireMFA }),
        signingAlgs: ['RS256'],
      }).split('\n');
    expect(flags(true)).toContain('--oidc-required-claim=acr=urn:sigil:mfa');
    expect(flags(false).some((l) => l.includes('required-claim'))).toBe(false);
    // As a YAML list item (a static pod manifest) it reads back unchanged.
    const item = flags(true).find((l) => l.includes('required-claim')) ?? '';
    expect(parse(`- ${item}`)).toEqual(['--oidc-required-claim=acr=urn:sigil:mfa']);
  });
});
