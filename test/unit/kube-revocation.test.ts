import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import fc from 'fast-check';
import { clusterSchema } from '../../src/config/schema/clusters.js';
import {
  buildAuthenticationConfiguration,
  buildDenyRules,
  celString,
  CEL_EXPRESSION_CODE_POINT_LIMIT,
  CEL_PER_CALL_COST_LIMIT,
  DENY_MESSAGES,
  EXPRESSION_BUDGET,
  MAX_RULES_PER_KIND,
  stripDenyRules,
  withDenyRules,
  type DenyEntryInput,
} from '../../src/kube/index.js';
import { authenticationConfigurationSchema } from '../support/authentication-config-schema.js';
import { compileClaimRules } from '../support/cel-claims.js';

const NOW = new Date('2026-12-05T10:00:00Z');
const sec = (d: Date) => Math.floor(d.getTime() / 1000);
const at = (s: number) => new Date(NOW.getTime() + s * 1000);
const LATER = at(900);

const session = (sid: string, sub?: string, created = NOW): DenyEntryInput => ({
  kind: 'session',
  sid,
  sub,
  createdAt: created,
  keepUntil: LATER,
});
const subject = (sub: string, notBefore = NOW, keepUntil = LATER): DenyEntryInput => ({
  kind: 'subject',
  sub,
  notBefore,
  createdAt: notBefore,
  keepUntil,
});

/** A token's claims as sigil issues them. */
const token = (sub: string, iat: number, sid = 'sid-live-000000000000') => ({
  iss: 'https://sigil.example.com',
  aud: 'kubernetes',
  sub,
  sid,
  iat,
  exp: iat + 600,
  email: 'x@example.com',
  groups: ['dev'],
});

/** Code points, as the cel-go parser counts them. */
/** Code points, as the cel-go parser counts them (not grapheme clusters). */
const codePoints = (s: string) => Array.from(s).length;

const HOSTILE_IDS = [
  "o'brien",
  'back\\slash',
  "x' || true || '",
  "') || claims.sub != ('",
  '"double" quotes',
  'new\nline\ttab\r',
  '\u0000nul',
  'ünïcödé ✓ 日本 😀',
  '\u202e right-to-left',
  '\ud800 lone surrogate',
  '${ENV} {{template}} <script>',
  "\\' escaped quote",
  'claims.sub',
];

describe('celString', () => {
  it.each(HOSTILE_IDS)('%j is one literal that stands for itself', (id) => {
    const lit = celString(id);
    expect(lit).toMatch(/^'[\x20-\x7e]*'$/);
    const rules = compileClaimRules([{ expression: `claims.sub == ${lit}`, message: 'm' }]);
    // A lone surrogate reaches the API server as U+FFFD (Go's JSON decoder).
    const asSeen = id.replace(/[\ud800-\udfff]/gu, '\ufffd');
    expect(rules.evaluate({ sub: asSeen }).allowed).toBe(true);
    expect(rules.evaluate({ sub: `${asSeen}x` }).allowed).toBe(false);
    expect(rules.evaluate({ sub: '' }).allowed).toBe(false);
  });

  it('round-trips any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (id) => {
        const rules = compileClaimRules([
          { expression: `claims.sub == ${celString(id)}`, message: 'm' },
        ]);
        return rules.evaluate({ sub: id.replace(/[\ud800-\udfff]/gu, '\ufffd') }).allowed;
      }),
      { numRuns: 300 },
    );
  });
});

describe('buildDenyRules', () => {
  it('makes no rule when nothing is revoked', () => {
    expect(buildDenyRules([], NOW)).toMatchObject({ rules: [], entries: 0 });
  });

  it('refuses revoked sessions and the earlier tokens of revoked subjects, nothing else', () => {
    const deny = buildDenyRules(
      [session('AAAAAAAAAAAAAAAAAAAAAA', 'alice'), subject('bob', at(0))],
      NOW,
    );
    expect(deny).toMatchObject({ entries: 2, sessions: 1, subjects: 1, windows: 0 });
    const rules = compileClaimRules(deny.rules);
    const t = sec(NOW);
    // alice: the revoked session is refused, her other device is not.
    expect(rules.evaluate(token('alice', t - 5, 'AAAAAAAAAAAAAAAAAAAAAA'))).toEqual({
      allowed: false,
      refusedBy: DENY_MESSAGES.session,
    });
    expect(rules.evaluate(token('alice', t - 5, 'BBBBBBBBBBBBBBBBBBBBBB')).allowed).toBe(true);
    // bob: tokens issued before the revocation are refused, new ones pass.
    expect(rules.evaluate(token('bob', t - 1))).toEqual({
      allowed: false,
      refusedBy: DENY_MESSAGES.subject,
    });
    expect(rules.evaluate(token('bob', t)).allowed).toBe(true);
    expect(rules.evaluate(token('carol', t - 100)).allowed).toBe(true);
    // A token without sid (another issuer's habits) is not refused by the session rule.
    const noSid: Record<string, unknown> = { ...token('alice', t) };
    delete noSid['sid'];
    expect(rules.evaluate(noSid).allowed).toBe(true);
  });

  it("refuses a login's tokens issued before an ended elevation, not its later ones (issue 16)", () => {
    const earlier = (sid: string, notBefore: Date): DenyEntryInput => ({
      kind: 'session',
      sid,
      sub: 'alice',
      notBefore,
      createdAt: notBefore,
      keepUntil: LATER,
    });
    const deny = buildDenyRules(
      [
        earlier('AAAAAAAAAAAAAAAAAAAAAA', at(-60)),
        earlier('AAAAAAAAAAAAAAAAAAAAAA', at(0)),
        earlier("x' || true || '", at(0)),
        // A login refused as a whole stays refused as a whole.
        earlier('CCCCCCCCCCCCCCCCCCCCCC', at(0)),
        session('CCCCCCCCCCCCCCCCCCCCCC', 'alice'),
      ],
      NOW,
    );
    expect(deny).toMatchObject({ entries: 5, sessions: 3 });
    const rules = compileClaimRules(deny.rules);
    const t = sec(NOW);
    const sid = 'AAAAAAAAAAAAAAAAAAAAAA';
    // The latest end wins: a token from between the two ends is refused too.
    expect(rules.evaluate(token('alice', t - 30, sid))).toEqual({
      allowed: false,
      refusedBy: DENY_MESSAGES.earlier,
    });
    expect(rules.evaluate(token('alice', t - 1, sid)).allowed).toBe(false);
    // The next refresh of the same login is not refused; other logins are not either.
    expect(rules.evaluate(token('alice', t, sid)).allowed).toBe(true);
    expect(rules.evaluate(token('alice', t - 30, 'BBBBBBBBBBBBBBBBBBBBBB')).allowed).toBe(true);
    expect(rules.evaluate(token('alice', t - 30, "x' || true || '")).allowed).toBe(false);
    expect(rules.evaluate(token('alice', t + 5, 'CCCCCCCCCCCCCCCCCCCCCC'))).toEqual({
      allowed: false,
      refusedBy: DENY_MESSAGES.session,
    });
    const noSid: Record<string, unknown> = { ...token('alice', t - 30) };
    delete noSid['sid'];
    expect(rules.evaluate(noSid).allowed).toBe(true);
  });

  it('rounds a revocation inside a second up: a token of that same second is refused', () => {
    const deny = buildDenyRules([subject('bob', new Date(NOW.getTime() + 400))], NOW);
    const rules = compileClaimRules(deny.rules);
    expect(rules.evaluate(token('bob', sec(NOW))).allowed).toBe(false);
    expect(rules.evaluate(token('bob', sec(NOW) + 1)).allowed).toBe(true);
  });

  it('refuses tokens issued in a revoked key window, whoever they belong to', () => {
    const deny = buildDenyRules(
      [
        {
          kind: 'window',
          iatFrom: at(-3600),
          iatUntil: at(-60),
          createdAt: NOW,
          keepUntil: LATER,
        },
      ],
      NOW,
    );
    const rules = compileClaimRules(deny.rules);
    expect(rules.evaluate(token('anyone', sec(NOW) - 3600)).allowed).toBe(false);
    expect(rules.evaluate(token('anyone', sec(NOW) - 61)).allowed).toBe(false);
    expect(rules.evaluate(token('anyone', sec(NOW) - 60)).allowed).toBe(true);
    expect(rules.evaluate(token('anyone', sec(NOW) - 3601)).allowed).toBe(true);
  });

  it('drops expired entries and keeps the strictest of duplicates', () => {
    const deny = buildDenyRules(
      [
        subject('gone', at(-1000), at(0)),
        subject('bob', at(-100)),
        subject('bob', at(-10)),
        session('S1', 'x'),
        session('S1', 'x'),
      ],
      NOW,
    );
    expect(deny).toMatchObject({ entries: 4, sessions: 1, subjects: 1 });
    const rules = compileClaimRules(deny.rules);
    expect(rules.evaluate(token('gone', sec(NOW) - 2000)).allowed).toBe(true);
    expect(rules.evaluate(token('bob', sec(NOW) - 11)).allowed).toBe(false);
    expect(rules.evaluate(token('bob', sec(NOW) - 10)).allowed).toBe(true);
  });

  it.each(HOSTILE_IDS)('a hostile sub %j refuses that person only', (sub) => {
    const deny = buildDenyRules([subject(sub), session(sub, sub)], NOW);
    const rules = compileClaimRules(deny.rules);
    const asSeen = sub.replace(/[\ud800-\udfff]/gu, '\ufffd');
    expect(rules.evaluate(token(asSeen, sec(NOW) - 1)).allowed).toBe(false);
    expect(rules.evaluate(token('someone-else', sec(NOW) - 1)).allowed).toBe(true);
    expect(rules.evaluate(token('someone-else', sec(NOW) - 1, asSeen)).allowed).toBe(false);
  });
});

describe('the size bound', () => {
  // The largest ids sigil stores (MAX_REVOCATION_ID_LENGTH is 1024), and the worst escaping.
  const bigSub = (i: number) => `${'😀'.repeat(200)}-${i}`;

  // Builds and evaluates rules of tens of thousands of entries: slower on a loaded machine.
  it(
    'packs many entries into rules under the budget, and summarises the rest as a cut-off',
    { timeout: 60_000 },
    () => {
      const entries = [
        ...Array.from({ length: 20_000 }, (_, i) =>
          session(String(i).padStart(22, 'S'), undefined, at(-i)),
        ),
        ...Array.from({ length: 3_000 }, (_, i) => subject(bigSub(i), at(-i))),
      ];
      const deny = buildDenyRules(entries, NOW);
      expect(deny.rules.length).toBeLessThanOrEqual(2 * MAX_RULES_PER_KIND + 1);
      for (const r of deny.rules) {
        expect(codePoints(r.expression)).toBeLessThanOrEqual(EXPRESSION_BUDGET);
        expect(codePoints(r.expression)).toBeLessThan(CEL_EXPRESSION_CODE_POINT_LIMIT);
      }
      expect(deny.maxCost).toBeLessThan(CEL_PER_CALL_COST_LIMIT / 10);
      expect(deny.cutoff).toBeDefined();
      const rules = compileClaimRules(deny.rules);
      // The newest entries are listed; the oldest are covered by the cut-off: refused either way.
      expect(rules.evaluate(token('x', sec(NOW) - 1, String(0).padStart(22, 'S'))).allowed).toBe(
        false,
      );
      expect(
        rules.evaluate(token('x', sec(NOW) - 20_000, String(19_999).padStart(22, 'S'))).allowed,
      ).toBe(false);
      expect(rules.evaluate(token(bigSub(2_999), sec(NOW) - 3_000)).allowed).toBe(false);
      // Nobody's token issued after every revocation is refused.
      expect(rules.evaluate(token('x', sec(NOW) + 1)).allowed).toBe(true);
    },
  );

  it(
    'turns sessions that do not fit into their owner subject entries before any cut-off',
    { timeout: 60_000 },
    () => {
      const entries = Array.from({ length: 9_000 }, (_, i) =>
        session(String(i).padStart(22, 'S'), `owner-${i % 50}`, at(-i)),
      );
      const deny = buildDenyRules(entries, NOW);
      expect(deny.cutoff).toBeUndefined();
      const rules = compileClaimRules(deny.rules);
      // an old session that did not fit: its owner's tokens from before are refused
      expect(rules.evaluate(token('owner-49', sec(NOW) - 8_999, 'other')).allowed).toBe(false);
      expect(rules.evaluate(token('owner-49', sec(NOW) + 1, 'other')).allowed).toBe(true);
    },
  );

  it(
    'the largest configuration is valid for the schema and survives YAML',
    { timeout: 60_000 },
    () => {
      const entries = Array.from({ length: 3_000 }, (_, i) =>
        subject(`${HOSTILE_IDS[i % HOSTILE_IDS.length] ?? ''}${i}`, at(-i)),
      );
      const config = buildAuthenticationConfiguration({
        issuer: 'https://sigil.example.com',
        cluster: clusterSchema.parse({
          name: 'prod',
          server: 'https://api.example.com:6443',
          clientID: 'kubernetes',
        }),
        deny: buildDenyRules(entries, NOW).rules,
      });
      const back = authenticationConfigurationSchema.parse(parseYaml(stringify(config)));
      expect(back).toEqual(config);
      const exprs = (back.jwt[0]?.claimValidationRules ?? []).map((r) => r.expression);
      expect(new Set(exprs).size).toBe(exprs.length); // the API server refuses duplicates
    },
  );
});

describe('withDenyRules / stripDenyRules', () => {
  const base = buildAuthenticationConfiguration({
    issuer: 'https://sigil.example.com',
    cluster: clusterSchema.parse({
      name: 'prod',
      server: 'https://api.example.com:6443',
      clientID: 'kubernetes',
    }),
  });

  it('adds deny rules after the others and takes them out again', () => {
    const deny = buildDenyRules([subject('bob')], NOW).rules;
    const withDeny = withDenyRules(base, deny);
    const rules = withDeny.jwt[0]?.claimValidationRules ?? [];
    expect(rules[0]?.expression).toBe(base.jwt[0]?.claimValidationRules?.[0]?.expression);
    expect(rules.slice(1)).toEqual(deny);
    expect(stripDenyRules(withDeny)).toEqual(base);
    expect(withDenyRules(withDeny, [])).toEqual(base);
  });
});
