import { createHash } from 'node:crypto';

export const RECEIPT_TYP = 'hx-receipt+jwt';
export const RECEIPT_HOLDER_PREFIX = 'huanxin-receipt-v1:';

export interface ReceiptDevice {
  category: string;
  brand?: string;
  model?: string;
  serialNumber?: string;
  screenInches?: number;
}

export interface ReceiptPayload {
  rid: string;
  iss: string;
  iat: number;
  holderIdHash: string;
  device: ReceiptDevice;
}

/** API.md: hex SHA-256 of 'huanxin-receipt-v1:' + the holder's ID number, upper case. */
export function receiptHolderHash(idNumber: string): string {
  return createHash('sha256').update(RECEIPT_HOLDER_PREFIX + idNumber.trim().toUpperCase()).digest('hex');
}

/**
 * What the platform keeps of a registered receipt and signs in its timestamp: lower-case hex SHA-256 of the compact
 * JWS exactly as sent. Never the receipt itself (its payload carries `holderIdHash`, an unsalted hash of an ID number).
 */
export function receiptHash(jws: string): string {
  return createHash('sha256').update(jws, 'utf8').digest('hex');
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function b64json(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

export type ParsedReceipt = { header: Record<string, unknown>; payload: ReceiptPayload };

/**
 * Decodes a compact JWS without trusting it: only the shape is checked here. Returns a reason string
 * when the receipt is malformed. The signature is checked by the verifier with the registered key.
 */
export function parseReceipt(jws: unknown): ParsedReceipt | string {
  if (typeof jws !== 'string' || jws.length > 8192 || !COMPACT_JWS.test(jws)) return 'not a compact JWS';
  const [h, p] = jws.split('.');
  let header: unknown;
  let payload: unknown;
  try {
    header = b64json(h);
    payload = b64json(p);
  } catch {
    return 'header or payload is not base64url JSON';
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) return 'header is not an object';
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return 'payload is not an object';
  const pl = payload as Record<string, unknown>;
  if (typeof pl.rid !== 'string' || pl.rid.length < 1 || pl.rid.length > 200) return 'rid is missing';
  if (typeof pl.iss !== 'string' || !UUID.test(pl.iss)) return 'iss is not a recycler id';
  if (typeof pl.iat !== 'number' || !Number.isSafeInteger(pl.iat) || pl.iat <= 0) return 'iat is not a NumericDate';
  if (typeof pl.holderIdHash !== 'string' || !/^[0-9a-f]{64}$/.test(pl.holderIdHash)) return 'holderIdHash is not lower-case hex SHA-256';
  const d = pl.device as Record<string, unknown> | undefined;
  if (!d || typeof d !== 'object' || Array.isArray(d) || typeof d.category !== 'string') return 'device.category is missing';
  return { header: header as Record<string, unknown>, payload: pl as unknown as ReceiptPayload };
}
