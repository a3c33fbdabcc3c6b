import { CompactSign, importJWK, JWK, KeyLike } from 'jose';
import { RECEIPT_TYP, ReceiptDevice, receiptHolderHash } from './receipt-format';

export interface ReceiptToSign {
  recyclerId: string;
  kid: string;
  privateKey: JWK | KeyLike;
  rid: string;
  holderIdNumber: string;
  issuedAt: Date;
  device: ReceiptDevice;
}

/** What a recycler's system does: used by the demo CLI and the tests, never by the platform itself. */
export async function signReceipt(r: ReceiptToSign, header: Record<string, unknown> = {}): Promise<string> {
  const payload = {
    rid: r.rid,
    iss: r.recyclerId,
    iat: Math.floor(r.issuedAt.getTime() / 1000),
    holderIdHash: receiptHolderHash(r.holderIdNumber),
    device: r.device,
  };
  const key = 'kty' in r.privateKey ? await importJWK(r.privateKey as JWK, 'EdDSA') : r.privateKey;
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: r.kid, typ: RECEIPT_TYP, ...header })
    .sign(key);
}
