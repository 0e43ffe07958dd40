export { celString } from './cel-literal.js';
export {
  buildDenyRules,
  DENY_MESSAGES,
  DENY_RULE_MARK,
  type ClaimValidationRule,
  type DenyEntryInput,
  type DenyRules,
} from './build.js';
export {
  CEL_EXPRESSION_CODE_POINT_LIMIT,
  CEL_PER_CALL_COST_LIMIT,
  EXPRESSION_BUDGET,
  MAX_RULES_PER_KIND,
} from './limits.js';
