/**
 * Domain errors carry a stable machine-readable code (API.md "Errors"). The domain throws them;
 * one global filter maps them to application/problem+json. Nothing else decides HTTP status.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  receipt_malformed: 400,
  idempotency_key_required: 400,
  bad_request: 400,
  webhook_signature_invalid: 400,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  same_auditor: 403,
  four_eyes_required: 403,
  not_found: 404,
  voucher_not_found: 404,
  model_not_found: 404,
  conflict: 409,
  quota_exhausted: 409,
  budget_exhausted: 409,
  voucher_already_open: 409,
  household_limit_reached: 409,
  voucher_used: 409,
  serial_already_subsidised: 409,
  invoice_duplicate: 409,
  receipt_already_used: 409,
  claim_already_decided: 409,
  idempotency_in_progress: 409,
  phone_taken: 409,
  id_number_taken: 409,
  email_taken: 409,
  duplicate: 409,
  claim_not_cancellable: 409,
  claim_not_paid: 409,
  receipt_rid_conflict: 409,
  already_confirmed: 409,
  claim_not_rejected: 409,
  appeal_exists: 409,
  appeal_already_decided: 409,
  payout_details_change_pending: 409,
  change_already_decided: 409,
  // allocation by lottery and the waitlist (issue 13)
  allocation_by_lottery: 409,
  not_a_lottery_city: 409,
  already_entered: 409,
  entry_window_closed: 409,
  quota_not_exhausted: 409,
  already_waitlisted: 409,
  voucher_expired: 422,
  voucher_not_owned: 422,
  retailer_not_active: 422,
  store_not_in_city: 422,
  model_not_eligible: 422,
  sale_outside_program: 422,
  sale_in_future: 422,
  price_invalid: 422,
  receipt_signature_invalid: 422,
  receipt_key_unknown: 422,
  receipt_key_revoked: 422,
  recycler_not_certified: 422,
  receipt_revoked: 422,
  receipt_wrong_category: 422,
  receipt_holder_mismatch: 422,
  receipt_outside_window: 422,
  receipt_not_registered: 422,
  idempotency_key_reused: 422,
  policy_version_conflict: 422,
  program_not_active: 422,
  appeal_window_closed: 422,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message?: string,
    public readonly errors?: FieldError[],
  ) {
    // A refusal is an answer, not a fault: no stack is captured (most of a rush is refused, and V8's stack capture
    // is the costliest part of making an Error); a bug in the platform is any other error, whose stack is logged.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message ?? code.replace(/_/g, ' '));
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}
