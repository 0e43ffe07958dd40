/** Facts about a person's logins, one file per fact (sessions, MFA, revocations, ...). */
export {
  insertLoginSession,
  touchLoginSessions,
  listLoginSessions,
  findLoginSession,
  endLoginSessions,
  countActiveLoginSessions,
  type NewLoginSession,
  type LoginSession,
  type LoginSessionFilter,
  type LoginSessionTouch,
  type LoginSessionSelector,
  type SessionEnd,
} from './sessions.js';
