import { decodeTimeCursor, encodeTimeCursor, isUuid, toShanghaiIso } from '@huanxin/core';
import type { ClaimRow } from './claims.repository';

export interface SubsidyView {
  baseFen: number;
  rateBp: number;
  capFen: number;
  amountFen: number;
  capped: boolean;
}

export interface ClaimView {
  id: string;
  status: string;
  programCode: string;
  city: string;
  retailerId: string;
  storeCode: string;
  voucherCode: string;
  modelCode: string;
  serialNumber: string;
  invoiceNumber: string;
  salePriceFen: number;
  soldAt: string;
  subsidy: SubsidyView;
  payableByCustomerFen: number;
  policyVersion: number;
  flags: string[];
  createdAt: string;
  cancelReason: string | null;
  /** When an auditor (or the automatic review) decided, and the reason given: a rejection's reason is shown to the household. */
  decidedAt: string | null;
  decisionReason: string | null;
  cancelledAt: string | null;
  /** The last change of status (for a paid claim: when it was paid). */
  updatedAt: string;
}

export function toClaimView(c: ClaimRow): ClaimView {
  const amount = Number(c.amount_fen);
  return {
    id: c.id,
    status: c.status,
    programCode: c.program_code,
    city: c.city,
    retailerId: c.retailer_id,
    storeCode: c.store_code,
    voucherCode: c.voucher_code,
    modelCode: c.model_code,
    serialNumber: c.serial_number,
    invoiceNumber: c.invoice_number,
    salePriceFen: Number(c.sale_price_fen),
    soldAt: toShanghaiIso(c.sold_at),
    subsidy: { baseFen: Number(c.base_fen), rateBp: c.rate_bp, capFen: Number(c.cap_fen), amountFen: amount, capped: c.capped },
    payableByCustomerFen: Number(c.sale_price_fen) - amount,
    policyVersion: c.policy_version,
    flags: c.flags,
    createdAt: toShanghaiIso(c.created_at),
    cancelReason: c.cancel_reason,
    decidedAt: c.decided_at ? toShanghaiIso(c.decided_at) : null,
    decisionReason: c.decision_reason,
    cancelledAt: c.cancelled_at ? toShanghaiIso(c.cancelled_at) : null,
    updatedAt: toShanghaiIso(c.updated_at),
  };
}

export interface Cursor {
  createdAt: Date;
  id: string;
}

/** Claims page newest first on (created_at, id); the cursor carries both, opaque to clients. */
export function encodeClaimCursor(c: Cursor): string {
  return encodeTimeCursor(c.createdAt, c.id);
}

export function decodeClaimCursor(s: string | undefined): Cursor | undefined {
  if (!s) return undefined;
  const { at, key } = decodeTimeCursor(s, isUuid);
  return { createdAt: at, id: key };
}
