import { celString } from './cel-literal.js';
import { EXPRESSION_BUDGET, MAX_RULES_PER_KIND } from './limits.js';

/**
 * Deny entries → claimValidationRules. kube-apiserver evaluates every rule on every token
 * (after its signature, issuer, audience and expiry checks; a success is cached for 10 s) and
 * refuses the token when a rule is false:
 *
 *   sessions  !has(claims.sid) || !(claims.sid in ['…', …])
 *   earlier   !has(claims.sid) || !((claims.sid == '…' && claims.iat < N) || …)
 *             (a login's tokens issued before N: an elevation grant ended early, issue 16)
 *   subjects  !((claims.sub == '…' && claims.iat < N) || …)
 *   windows   !((claims.iat >= A && claims.iat < B) || …)
 *   cut-off   claims.iat >= T          (only when the entries do not fit, see below)
 *
 * Expired entries (keepUntil passed) are dropped; a sid or sub listed twice keeps its
 * strictest entry. Each expression stays under EXPRESSION_BUDGET code points (limits.ts), at
 * most MAX_RULES_PER_KIND rules per kind. What does not fit is summarised, never left out:
 * the oldest sessions become their owner's subject entry, and whatever still does not fit
 * becomes one cut-off refusing every token issued before the latest time it must cover (so
 * people log in again, instead of a revoked token staying valid or an expression the API
 * server would reject).
 */
export interface DenyEntryInput {
  readonly kind: 'session' | 'subject' | 'window';
  readonly sid?: string | undefined;
  readonly sub?: string | undefined;
  /** subject: tokens issued before are refused; session: only its tokens issued before are. */
  readonly notBefore?: Date | undefined;
  readonly iatFrom?: Date | undefined;
  readonly iatUntil?: Date | undefined;
  /** When the entry was made (a session's tokens were all issued before it). */
  readonly createdAt: Date;
  readonly keepUntil: Date;
}

export interface ClaimValidationRule {
  readonly expression: string;
  readonly message: string;
}

/** Every deny rule's message starts with this, so a deny rule can be told from the others. */
export const DENY_RULE_MARK = 'revoked by sigil';

export const DENY_MESSAGES = {
  session: `${DENY_RULE_MARK}: this login (session) was ended`,
  subject: `${DENY_RULE_MARK}: this person's tokens issued before their revocation are refused`,
  window: `${DENY_RULE_MARK}: this token was signed by a revoked signing key`,
  earlier: `${DENY_RULE_MARK}: this login's tokens issued before an elevation it carried ended are refused`,
  cutoff: `${DENY_RULE_MARK}: too many revocations to list, tokens issued before the cut-off are refused`,
} as const;

export interface DenyRules {
  readonly rules: readonly ClaimValidationRule[];
  /** Live entries after dropping the expired ones and merging duplicates. */
  readonly entries: number;
  readonly sessions: number;
  readonly subjects: number;
  readonly windows: number;
  /** Set when some entries did not fit and were summarised as an iat cut-off. */
  readonly cutoff?: Date;
  /** The highest estimated runtime cost of one rule (cel-go's cost units). */
  readonly maxCost: number;
}

const seconds = (d: Date, round: (x: number) => number): number => round(d.getTime() / 1000);

interface Term {
  readonly text: string;
  readonly cost: number;
  /** What the cut-off must reach to cover this entry when it does not fit. */
  readonly cover: Date;
  readonly sub?: string | undefined;
}

function sessionTerms(entries: readonly DenyEntryInput[]): Term[] {
  const bySid = new Map<string, DenyEntryInput>();
  for (const e of entries)
    if (e.kind === 'session' && e.sid !== undefined && e.notBefore === undefined) {
      const prev = bySid.get(e.sid);
      if (prev === undefined || prev.createdAt < e.createdAt) bySid.set(e.sid, e);
    }
  return [...bySid.values()]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
    .map((e) => {
      const text = celString(e.sid ?? '');
      return { text, cost: 1, cover: e.createdAt, sub: e.sub };
    });
}

function subjectTerms(entries: readonly DenyEntryInput[]): Term[] {
  const bySub = new Map<string, Date>();
  for (const e of entries)
    if (e.kind === 'subject' && e.sub !== undefined && e.notBefore !== undefined) {
      const prev = bySub.get(e.sub);
      if (prev === undefined || prev < e.notBefore) bySub.set(e.sub, e.notBefore);
    }
  return [...bySub.entries()]
    .sort((a, b) => b[1].getTime() - a[1].getTime())
    .map(([sub, notBefore]) => subjectTerm(sub, notBefore));
}

/** Session entries with notBefore whose login is not refused as a whole: the latest per sid. */
function earlierTerms(entries: readonly DenyEntryInput[]): Term[] {
  const whole = new Set(
    entries.filter((e) => e.kind === 'session' && e.notBefore === undefined).map((e) => e.sid),
  );
  const bySid = new Map<string, DenyEntryInput & { notBefore: Date }>();
  for (const e of entries)
    if (e.kind === 'session' && e.sid !== undefined && e.notBefore !== undefined) {
      if (whole.has(e.sid)) continue;
      const prev = bySid.get(e.sid);
      if (prev === undefined || prev.notBefore < e.notBefore)
        bySid.set(e.sid, { ...e, notBefore: e.notBefore });
    }
  return [...bySid.values()]
    .sort((a, b) => b.notBefore.getTime() - a.notBefore.getTime())
    .map((e) => {
      const literal = celString(e.sid ?? '');
      const text = `(claims.sid == ${literal} && claims.iat < ${seconds(e.notBefore, Math.ceil)})`;
      return { text, cost: 6 + Math.ceil(literal.length / 10), cover: e.notBefore, sub: e.sub };
    });
}

function earlierRules(terms: readonly Term[]): Built {
  const head = '!has(claims.sid) || !(';
  const [groups, overflow] = pack(terms, head.length + 1, 4);
  return {
    rules: groups.map((g) => ({
      expression: `${head}${g.map((t) => t.text).join(' || ')})`,
      message: DENY_MESSAGES.earlier,
    })),
    overflow,
    maxCost: Math.max(0, ...groups.map((g) => 4 + g.reduce((n, t) => n + t.cost, 0))),
  };
}

function subjectTerm(sub: string, notBefore: Date): Term {
  const literal = celString(sub);
  const text = `(claims.sub == ${literal} && claims.iat < ${seconds(notBefore, Math.ceil)})`;
  // select + == (1 + 0.1 per character) + select + < + && + ||
  return { text, cost: 6 + Math.ceil(literal.length / 10), cover: notBefore };
}

function windowTerms(entries: readonly DenyEntryInput[]): Term[] {
  const seen = new Map<string, Term>();
  for (const e of entries)
    if (e.kind === 'window' && e.iatFrom !== undefined && e.iatUntil !== undefined) {
      const from = seconds(e.iatFrom, Math.floor);
      const until = seconds(e.iatUntil, Math.ceil);
      const text = `(claims.iat >= ${from} && claims.iat < ${until})`;
      seen.set(text, { text, cost: 6, cover: e.iatUntil });
    }
  return [...seen.values()].sort((a, b) => b.cover.getTime() - a.cover.getTime());
}

/** Packs terms into at most MAX_RULES_PER_KIND groups of at most `budget` code points. */
function pack(terms: readonly Term[], overhead: number, sep: number): [Term[][], Term[]] {
  const groups: Term[][] = [];
  let current: Term[] = [];
  let size = overhead;
  for (const [i, t] of terms.entries()) {
    if (current.length > 0 && size + sep + t.text.length > EXPRESSION_BUDGET) {
      groups.push(current);
      current = [];
      size = overhead;
      if (groups.length === MAX_RULES_PER_KIND) return [groups, terms.slice(i)];
    }
    size += (current.length > 0 ? sep : 0) + t.text.length;
    current.push(t);
  }
  if (current.length > 0) groups.push(current);
  return [groups, []];
}

interface Built {
  rules: ClaimValidationRule[];
  overflow: Term[];
  maxCost: number;
}

function sessionRules(terms: readonly Term[]): Built {
  const head = '!has(claims.sid) || !(claims.sid in [';
  const [groups, overflow] = pack(terms, head.length + 2, 2);
  return {
    rules: groups.map((g) => ({
      expression: `${head}${g.map((t) => t.text).join(', ')}])`,
      message: DENY_MESSAGES.session,
    })),
    overflow,
    // has + ! + || + select + in (1 + n) + list literal (10) + !
    maxCost: Math.max(0, ...groups.map((g) => 15 + g.length)),
  };
}

function disjunctionRules(terms: readonly Term[], message: string): Built {
  const [groups, overflow] = pack(terms, 3, 4);
  return {
    rules: groups.map((g) => ({ expression: `!(${g.map((t) => t.text).join(' || ')})`, message })),
    overflow,
    maxCost: Math.max(0, ...groups.map((g) => 1 + g.reduce((n, t) => n + t.cost, 0))),
  };
}

export function buildDenyRules(entries: readonly DenyEntryInput[], now: Date): DenyRules {
  const live = entries.filter((e) => e.keepUntil.getTime() > now.getTime());
  const sessions = sessionRules(sessionTerms(live));
  const earlier = earlierRules(earlierTerms(live));
  // Sessions that did not fit: their owner's tokens issued before the revocation, instead.
  const spilled = live.concat(
    [...sessions.overflow, ...earlier.overflow].flatMap((t) =>
      t.sub === undefined
        ? []
        : [{ kind: 'subject', sub: t.sub, notBefore: t.cover, createdAt: t.cover, keepUntil: now }],
    ),
  );
  const subjectList = subjectTerms(spilled);
  const subjects = disjunctionRules(subjectList, DENY_MESSAGES.subject);
  const windows = disjunctionRules(windowTerms(live), DENY_MESSAGES.window);
  const uncovered = [
    ...[...sessions.overflow, ...earlier.overflow].filter((t) => t.sub === undefined),
    ...subjects.overflow,
    ...windows.overflow,
  ];
  const cutoff =
    uncovered.length === 0
      ? undefined
      : new Date(Math.max(...uncovered.map((t) => t.cover.getTime())));
  const rules = [...sessions.rules, ...earlier.rules, ...subjects.rules, ...windows.rules];
  if (cutoff !== undefined)
    rules.push({
      expression: `claims.iat >= ${seconds(cutoff, Math.ceil)}`,
      message: DENY_MESSAGES.cutoff,
    });
  return {
    rules,
    entries: live.length,
    sessions: sessionTerms(live).length + earlierTerms(live).length,
    subjects: subjectTerms(live).length,
    windows: windowTerms(live).length,
    ...(cutoff === undefined ? {} : { cutoff }),
    // The budget in code points keeps every rule at a few percent of the cost limit.
    maxCost: Math.max(sessions.maxCost, earlier.maxCost, subjects.maxCost, windows.maxCost, 2),
  };
}
