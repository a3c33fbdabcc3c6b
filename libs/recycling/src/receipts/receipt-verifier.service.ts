import { Injectable } from '@nestjs/common';
import { compactVerify, importJWK, JWK } from 'jose';
import { DomainError } from '@huanxin/core';
import type { Tx } from '@huanxin/database';
import { checkReceiptWindow, PolicyRules } from '@huanxin/policy';
import { keyTrustedForSignatureAt, wasCertifiedAt } from '../certification';
import { RecyclerKeysRepository } from '../recycler-keys.repository';
import { ParsedReceipt, parseReceipt, RECEIPT_TYP, ReceiptDevice, receiptHolderHash } from './receipt-format';

export interface VerifiedReceipt {
  iss: string;
  rid: string;
  kid: string;
  issuedAt: Date;
  device: ReceiptDevice;
  /** Issued after the sale: valid, but the claim is flagged for review. */
  afterSale: boolean;
}

export interface ReceiptContext {
  holderIdNumber: string;
  soldAt: Date;
  rules: PolicyRules;
}

/**
 * Verifies a recycler's receipt (DESIGN.md "What a trade-in must pass"), each failure with its own code:
 * malformed → receipt_malformed; any alg but EdDSA (none, HS*, RS*) or a bad signature →
 * receipt_signature_invalid; unknown recycler or kid → receipt_key_unknown; a compromised key, or a retired
 * key for receipts signed after retirement → receipt_key_revoked; a recycler not certified when it signed →
 * recycler_not_certified; revoked receipt, wrong device, wrong holder, outside the policy's window.
 */
@Injectable()
export class ReceiptVerifier {
  constructor(private readonly keys: RecyclerKeysRepository) {}

  /** Inside the trade-in's transaction `tx`, which reads the keys, periods and revocations as it sees them. */
  async verify(jws: string, ctx: ReceiptContext, tx: Tx): Promise<VerifiedReceipt> {
    return this.verifyParsed(jws, parseReceipt(jws), ctx, tx);
  }

  /**
   * `verify` for a caller that has parsed the receipt already (`parseReceipt(jws)`, a reason string when
   * malformed): the trade-in parses it once, for this and for the fraud signal of a refusal. The key, the
   * recycler's certification periods and the receipt's revocation are read in one statement.
   */
  async verifyParsed(jws: string, parsed: ParsedReceipt | string, ctx: ReceiptContext, tx: Tx): Promise<VerifiedReceipt> {
    if (typeof parsed === 'string') throw new DomainError('receipt_malformed', `The recycling receipt is malformed: ${parsed}`);
    const { header, payload } = parsed;
    if (header.typ !== RECEIPT_TYP) throw new DomainError('receipt_malformed', `The receipt's typ must be ${RECEIPT_TYP}`);
    if (header.alg !== 'EdDSA') throw new DomainError('receipt_signature_invalid', 'Receipts must be signed with EdDSA (Ed25519)');
    if (typeof header.kid !== 'string' || !header.kid) throw new DomainError('receipt_malformed', 'The receipt has no kid');
    if (header.crit !== undefined) throw new DomainError('receipt_malformed', 'Critical header parameters are not supported');
    const kid = header.kid;

    const facts = await this.keys.receiptFactsInTx(tx, payload.iss, kid, payload.rid);
    if (!facts) throw new DomainError('receipt_key_unknown', 'The receipt was signed with a key that is not registered for its recycler');
    const { key, periods, revoked } = facts;
    try {
      const publicKey = await importJWK(key.publicKeyJwk as JWK, 'EdDSA');
      await compactVerify(jws, publicKey, { algorithms: ['EdDSA'] });
    } catch {
      throw new DomainError('receipt_signature_invalid', 'The receipt signature does not verify');
    }
    const issuedAt = new Date(payload.iat * 1000);
    if (!keyTrustedForSignatureAt(key, issuedAt)) {
      throw new DomainError('receipt_key_revoked', `The receipt's signing key was revoked (${key.revokeReason})`);
    }
    if (!wasCertifiedAt(periods, issuedAt)) {
      throw new DomainError('recycler_not_certified', 'The recycler was not certified when it signed the receipt');
    }
    if (revoked) throw new DomainError('receipt_revoked', 'The recycler revoked this receipt');
    if (payload.device.category !== 'tv') throw new DomainError('receipt_wrong_category', 'The receipt is not for a television');
    if (payload.holderIdHash !== receiptHolderHash(ctx.holderIdNumber)) {
      throw new DomainError('receipt_holder_mismatch', 'The receipt belongs to another household');
    }
    const window = checkReceiptWindow(ctx.rules, ctx.soldAt, issuedAt);
    if (window === 'outside') throw new DomainError('receipt_outside_window', "The receipt was issued outside the policy's window around the sale");
    return { iss: payload.iss, rid: payload.rid, kid, issuedAt, device: payload.device, afterSale: window === 'after_sale' };
  }
}
