import { AppError } from '../../errors.js';
import type { ElevationRefusal } from './types.js';

const STATUS: Readonly<Record<ElevationRefusal, number>> = {
  unknown_role: 404,
  not_eligible: 403,
  bad_duration: 400,
  bad_reason: 400,
  not_found: 404,
  not_approver: 403,
  own_request: 403,
  not_pending: 409,
  request_expired: 409,
  not_active: 409,
  mfa_required: 403,
};

/** An elevation refusal: AppError ELEVATION_REFUSED with the reason and its HTTP status. */
export class ElevationRefused extends AppError {
  readonly reason: ElevationRefusal;

  constructor(reason: ElevationRefusal, message: string) {
    super('ELEVATION_REFUSED', message, { status: STATUS[reason] });
    this.name = 'ElevationRefused';
    this.reason = reason;
  }
}

export function isElevationRefused(err: unknown): err is ElevationRefused {
  return err instanceof ElevationRefused;
}
