/**
 * What kube-apiserver allows a claimValidationRules expression, read in the Kubernetes source
 * (k8s.io/apiserver, 1.30 to 1.34) and cel-go:
 *
 * - Loading the file compiles every expression (pkg/apis/apiserver/validation,
 *   validateClaimValidationRules → authentication/cel compile.go: env.Compile, return type
 *   bool, no duplicate expressions). The cel-go parser refuses an expression longer than
 *   100,000 code points (parser option expressionSizeCodePointLimit, default 100_000; the
 *   Kubernetes environment does not change it) and nesting deeper than 250. A config that
 *   fails here is not loaded: the API server keeps the previous one, and revocations silently
 *   stop. So every expression sigil writes stays far below the limit.
 * - No estimated-cost check is made at load for authentication rules, but every evaluation
 *   runs with the runtime cost limit of the base environment (pkg/cel/environment/base.go:
 *   cel.CostLimit(celconfig.PerCallLimit), PerCallLimit = 1,000,000 in
 *   pkg/apis/cel/config.go). An evaluation over it fails, and a failing rule refuses the
 *   token: everybody's tokens. cel-go's runtime cost of `x in list` is 1 + the list's size
 *   (interpreter/runtimecost.go, "we just assume all list containment checks are O(n)"); a
 *   string `==` is 1 + 0.1 per character of the shorter side; a select, `<` or `!` is 1.
 *
 * sigil's own bounds sit well inside both: each expression at most EXPRESSION_BUDGET code
 * points (half the parser limit), at most MAX_RULES_PER_KIND rules per kind of entry; what
 * does not fit is summarised as one `iat` cut-off (see build.ts).
 */
export const CEL_EXPRESSION_CODE_POINT_LIMIT = 100_000;
export const CEL_PER_CALL_COST_LIMIT = 1_000_000;

/** sigil's bound on one deny expression: half the parser's limit. */
export const EXPRESSION_BUDGET = 50_000;
/** Rules per kind (sessions, subjects, windows) before the rest is summarised. */
export const MAX_RULES_PER_KIND = 4;
