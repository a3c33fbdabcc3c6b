import { decodeTimeCursor, encodeTimeCursor, isUuid, toShanghaiIso } from '@huanxin/core';
import type { Claim } from './claims.repository';

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

export function toClaimView(c: Claim): ClaimView {
  return {
    id: c.id,
    status: c.status,
    programCode: c.programCode,
    city: c.city,
    retailerId: c.retailerId,
    storeCode: c.storeCode,
    voucherCode: c.voucherCode,
    modelCode: c.modelCode,
    serialNumber: c.serialNumber,
    invoiceNumber: c.invoiceNumber,
    salePriceFen: c.salePriceFen,
    soldAt: toShanghaiIso(c.soldAt),
    subsidy: { baseFen: c.baseFen, rateBp: c.rateBp, capFen: c.capFen, amountFen: c.amountFen, capped: c.capped },
    payableByCustomerFen: c.salePriceFen - c.amountFen,
    policyVersion: c.policyVersion,
    flags: c.flags,
    createdAt: toShanghaiIso(c.createdAt),
    cancelReason: c.cancelReason,
    decidedAt: c.decidedAt ? toShanghaiIso(c.decidedAt) : null,
    decisionReason: c.decisionReason,
    cancelledAt: c.cancelledAt ? toShanghaiIso(c.cancelledAt) : null,
    updatedAt: toShanghaiIso(c.updatedAt),
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
