export {
  SessionService,
  type EndResult,
  type SessionActor,
  type SessionServiceDeps,
  type SessionStart,
  type SessionTarget,
} from './service.js';
export { summariseDevice, UNKNOWN_DEVICE } from './device.js';
export { LastUseTracker } from './tracker.js';
export { sessionJson, isActive, grantName, type SessionJson } from './json.js';
