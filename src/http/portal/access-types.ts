import type { RouterMiddleware } from '@koa/router';
import type {
  Audit,
  ElevationPerson,
  Elevations,
  MfaAttempt,
  MfaService,
} from '../../security/index.js';
import type { SigilState, Views } from '../shared/index.js';
import type { SelfLogin } from './self-login.js';

/** The shapes /home/access (access.ts) and its form actions (access-actions.ts) share. */

/** What /home/access is built from (web-pages.ts fills it from the server's services). */
export interface AccessDeps {
  readonly views: Views;
  readonly login: SelfLogin;
  readonly elevations: Elevations;
  /** The configured roles' names (elevation.roles): whose requests a person may decide. */
  readonly roleNames: readonly string[];
  /** Checks the code of a self-approval (the same service /home/security uses). */
  readonly mfa: MfaService;
  /** The person as sigil last saw them (identities table): connector, username, groups. */
  readonly personOf: (sub: string) => Promise<StoredPerson | undefined>;
  readonly csrfSecret: string;
  /** Records the refusals this page makes itself (a form without its CSRF token). */
  readonly audit: Audit;
  readonly maxBodyBytes: number;
  /** Lifetime of id_tokens, seconds: a cached token is replaced by then anyway. */
  readonly idTokenTtlSec: number;
  readonly now?: () => Date;
}

export interface StoredPerson {
  readonly connectorId: string;
  readonly username: string;
  readonly groups: readonly string[];
}

export type Handler = RouterMiddleware<SigilState>;
export type Ctx = Parameters<Handler>[0];

export interface Person {
  readonly elevation: ElevationPerson;
  readonly mfa: MfaAttempt;
  readonly csrf: string;
}

/** The request form's fields, as sent (shown again after a refusal). */
export interface RequestForm {
  readonly role: string;
  readonly duration: string;
  readonly reason: string;
}

export type FieldName = 'role' | 'duration' | 'reason' | 'code';

export interface PageState {
  readonly status?: number;
  readonly error?: string;
  /** The request form field the error is about. */
  readonly field?: FieldName | undefined;
  readonly form?: RequestForm;
  /** A decision's comment was refused: the request whose comment field the error is about. */
  readonly commentFor?: string;
}

/** A string field of a posted form ('' when absent or not a string). */
export const field = (body: unknown, name: string): string => {
  if (body === null || typeof body !== 'object') return '';
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : '';
};

export const nowOf = (deps: AccessDeps): Date => deps.now?.() ?? new Date();
