import { Inject, Injectable } from '@nestjs/common';
import { compactVerify, importJWK, JWK } from 'jose';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Clock, DomainError } from '@huanxin/core';
import type { Tx } from '@huanxin/database';
import { checkReceiptWindow, PolicyRules, receiptRegistrationOf } from '@huanxin/policy';
import { keyTrustedForSignatureAt, wasCertifiedAt } from '../certification';
import { RecyclerKeysRepository } from '../recycler-keys.repository';
import type { RecyclerKey } from '../recycling.types';
import { ParsedReceipt, parseReceipt, RECEIPT_TYP, ReceiptDevice, receiptHash, receiptHolderHash } from './receipt-format';

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
  /** the trade-in's time (default: the clock's now): an unregistered receipt is judged as if registered then */
  now?: Date;
}

/**
 * The header checks every use of a receipt makes before its key is looked up (the trade-in's verifier and the
 * recycler's registration): its typ, EdDSA only, a kid, no critical parameters. Answers the kid.
 */
export function checkReceiptHeader(parsed: ParsedReceipt | string): { kid: string; parsed: ParsedReceipt } {
  if (typeof parsed === 'string') throw new DomainError('receipt_malformed', `The recycling receipt is malformed: ${parsed}`);
  const { header } = parsed;
  if (header.typ !== RECEIPT_TYP) throw new DomainError('receipt_malformed', `The receipt's typ must be ${RECEIPT_TYP}`);
  if (header.alg !== 'EdDSA') throw new DomainError('receipt_signature_invalid', 'Receipts must be signed with EdDSA (Ed25519)');
  if (typeof header.kid !== 'string' || !header.kid) throw new DomainError('receipt_malformed', 'The receipt has no kid');
  if (header.crit !== undefined) throw new DomainError('receipt_malformed', 'Critical header parameters are not supported');
  return { kid: header.kid, parsed };
}

/** The receipt's signature under its registered key, or receipt_signature_invalid. */
export async function checkReceiptSignature(jws: string, key: RecyclerKey): Promise<void> {
  try {
    const publicKey = await importJWK(key.publicKeyJwk as JWK, 'EdDSA');
    await compactVerify(jws, publicKey, { algorithms: ['EdDSA'] });
  } catch {
    throw new DomainError('receipt_signature_invalid', 'The receipt signature does not verify');
  }
}

/**
 * Verifies a recycler's receipt (DESIGN.md "What a trade-in must pass"), each failure with its own code:
 * malformed → receipt_malformed; any alg but EdDSA (none, HS*, RS*) or a bad signature →
 * receipt_signature_invalid; unknown recycler or kid → receipt_key_unknown; a compromised key, or a retired
 * key for receipts signed after retirement → receipt_key_revoked; a recycler not certified when it signed →
 * recycler_not_certified; revoked receipt, wrong device, wrong holder, outside the policy's window.
 *
 * Receipt transparency (issue 13): a receipt registered with the platform is judged at its registration time, not at
 * its own `iat` — key, certification, and the window around the sale. Under a policy with
 * `receiptRegistration.required`, an unregistered receipt is judged as if registered now (so a decertified recycler's
 * back-dated receipt is recycler_not_certified, a revoked key's receipt_key_revoked) and then refused
 * receipt_not_registered; so is one registered more than `graceHours` (plus RECEIPT_CLOCK_SKEW_SECONDS) after its iat.
 * Without the rule, an unregistered receipt is judged at its iat, as before.
 */
@Injectable()
export class ReceiptVerifier {
  constructor(
    private readonly keys: RecyclerKeysRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

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
    const { kid } = checkReceiptHeader(parsed);
    const { payload } = parsed as ParsedReceipt;

    const facts = await this.keys.receiptFactsInTx(tx, payload.iss, kid, payload.rid);
    if (!facts) throw new DomainError('receipt_key_unknown', 'The receipt was signed with a key that is not registered for its recycler');
    const { key, periods, revoked } = facts;
    await checkReceiptSignature(jws, key);
    const iat = new Date(payload.iat * 1000);
    const policy = receiptRegistrationOf(ctx.rules);
    // the registration counts only for the receipt that was registered (another one with the same rid is not it)
    const registration = facts.registration && facts.registration.receiptHash === receiptHash(jws) ? facts.registration : null;
    const issuedAt = registration ? registration.registeredAt : policy.required ? (ctx.now ?? this.clock.now()) : iat;
    if (!keyTrustedForSignatureAt(key, issuedAt)) {
      throw new DomainError('receipt_key_revoked', `The receipt's signing key was revoked (${key.revokeReason})`);
    }
    if (!wasCertifiedAt(periods, issuedAt)) {
      throw new DomainError('recycler_not_certified', registration || policy.required
        ? 'The recycler was not certified when the receipt was registered'
        : 'The recycler was not certified when it signed the receipt');
    }
    if (policy.required) this.checkRegisteredInTime(registration, facts.registration !== null, iat, policy.graceHours);
    if (revoked) throw new DomainError('receipt_revoked', 'The recycler revoked this receipt');
    if (payload.device.category !== 'tv') throw new DomainError('receipt_wrong_category', 'The receipt is not for a television');
    if (payload.holderIdHash !== receiptHolderHash(ctx.holderIdNumber)) {
      throw new DomainError('receipt_holder_mismatch', 'The receipt belongs to another household');
    }
    const window = checkReceiptWindow(ctx.rules, ctx.soldAt, issuedAt);
    if (window === 'outside') throw new DomainError('receipt_outside_window', "The receipt was issued outside the policy's window around the sale");
    return { iss: payload.iss, rid: payload.rid, kid, issuedAt, device: payload.device, afterSale: window === 'after_sale' };
  }

  /** Registration required: registered, this very receipt, and no later than graceHours (plus the clock skew) after its iat. */
  private checkRegisteredInTime(registration: { registeredAt: Date } | null, ridTaken: boolean, iat: Date, graceHours: number): void {
    if (!registration) {
      throw new DomainError('receipt_not_registered', ridTaken
        ? 'Another receipt with this rid is registered with the platform, not this one'
        : 'The programme requires receipts registered with the platform when they are issued, and this one was not');
    }
    const lateMs = registration.registeredAt.getTime() - iat.getTime();
    if (lateMs > graceHours * 3600_000 + this.config.receiptClockSkewSeconds * 1000) {
      throw new DomainError('receipt_not_registered',
        `The receipt was registered ${Math.floor(lateMs / 3600_000)} h after it was signed; the programme accepts ${graceHours} h`);
    }
  }
}
