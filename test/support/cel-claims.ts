import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';

/**
 * claimValidationRules evaluated the way kube-apiserver does, with @bufbuild/cel (a CEL
 * evaluator for ECMAScript, conformance-tested against cel-spec). The API server decodes the
 * token's claims with Kubernetes' JSON decoder, which turns integral numbers into int64: here
 * integral numbers become bigint (CEL int) likewise, others stay double. Every rule must
 * evaluate to `true`; `false`, an error or a non-bool refuses the token, as there.
 *
 * What @bufbuild/cel lacks of the API server's CEL environment: the type checker run at load
 * (an expression that would not type-check is caught only when evaluated), optional syntax
 * (`claims.?x`, `[?k]`: sigil's EMAIL_VERIFIED_RULE uses it and cannot be evaluated here), the
 * Kubernetes libraries (URLs, regex extensions, lists, authz, quantity), and cost tracking and
 * the per-call cost limit. sigil's deny rules use none of these, and their size and cost are
 * bounded by src/kube/revocation/limits.ts instead.
 */
export type ClaimsJson = Record<string, unknown>;

function toCel(value: unknown): CelInput {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object')
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value as CelInput;
}

export interface RuleVerdict {
  readonly allowed: boolean;
  /** The message of the first rule that refused, or the evaluation error. */
  readonly refusedBy?: string;
}

export interface CompiledRules {
  evaluate(claims: ClaimsJson): RuleVerdict;
}

export function compileClaimRules(
  rules: readonly { expression: string; message: string }[],
): CompiledRules {
  const env = celEnv();
  const programs = rules.map((r) => ({ run: plan(env, parse(r.expression)), message: r.message }));
  return {
    evaluate(claims) {
      const activation = { claims: toCel(claims) };
      for (const p of programs) {
        let out: unknown;
        try {
          out = p.run(activation);
        } catch (err) {
          return { allowed: false, refusedBy: `error: ${(err as Error).message}` };
        }
        if (isCelError(out)) return { allowed: false, refusedBy: `error: ${out.message}` };
        if (out !== true) return { allowed: false, refusedBy: p.message };
      }
      return { allowed: true };
    },
  };
}
