/**
 * Small pieces every layer may use. Nothing here imports from the rest of src/ (the
 * dependency rules in .dependency-cruiser.cjs hold that line).
 */
export { parseDuration, formatDuration } from './duration.js';
export {
  compileGroupPattern,
  isValidGroupPattern,
  anyOf,
  type GroupMatcher,
} from './group-pattern.js';
