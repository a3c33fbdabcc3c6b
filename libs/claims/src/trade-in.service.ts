import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { randomInt } from 'node:crypto';
import { AuditService } from '@huanxin/audit-log';
import { AuthService } from '@huanxin/auth';
import { CatalogService, modelFacts } from '@huanxin/catalog';
import { Actor, Clock, DomainError, newId, requireAccess } from '@huanxin/core';
import { AnswerInTransaction, isUniqueViolation, pgConstraint, TransactionService, Tx } from '@huanxin/database';
import { LedgerService, SlotUnfunded } from '@huanxin/ledger';
import {
  computeSubsidy, decideReview, exceedsStoreBurst, FLAG_PRICE_ABOVE_REFERENCE, FLAG_PRIOR_REJECTIONS, FLAG_RECEIPT_AFTER_SALE,
  FLAG_STORE_BURST, ModelFacts, PolicyViolation, priceAboveReference, selectVersion,
} from '@huanxin/policy';
import { Program, ProgramsRepository, PublishedPolicyVersion } from '@huanxin/programs';
import { ParsedReceipt, parseReceipt, ReceiptVerifier } from '@huanxin/recycling';
import { RetailersRepository } from '@huanxin/retailers';
import { normaliseVoucherCode, Voucher, VouchersRepository } from '@huanxin/vouchers';
import { ClaimsRepository, SaleFacts } from './claims.repository';

/** One sale being checked: what every step of the checklist reads, and the checks passed so far. */
interface Sale {
  tx: Tx;
  actor: Actor;
  retailerId: string;
  input: TradeInInput;
  serial: string;
  invoice: string;
  /** the recycling receipt, parsed once (`parseReceipt`: a reason string when malformed) */
  receipt: ParsedReceipt | string;
  now: Date;
  checks: { check: string; result: string }[];
  /** post through the city's ledger lock, not the voucher's slot (the slot could not cover it on a first run) */
  cityPath: boolean;
}

function pass(sale: Sale, check: string, result = 'ok'): void {
  sale.checks.push({ check, result });
}

type PolicyRules = Parameters<typeof computeSubsidy>[0];
type Subsidy = ReturnType<typeof computeSubsidy>;
type Review = ReturnType<typeof decideReview>;
type Model = NonNullable<Awaited<ReturnType<CatalogService['find']>>>;
type Receipt = Awaited<ReturnType<ReceiptVerifier['verify']>>;
type Version = PublishedPolicyVersion;
/** The voucher's programme with its policy versions, oldest first. */
type ProgramFacts = Program & { versions: PublishedPolicyVersion[] };

/** Everything the checklist established, for the record. */
interface Recorded {
  voucher: Voucher;
  program: ProgramFacts;
  store: { id: string; code: string; city: string };
  model: Model;
  soldAt: Date;
  version: Version;
  subsidy: Subsidy;
  receipt: Receipt;
  flags: string[];
  review: Review;
  reviewReasons: string[];
}

export interface TradeInInput {
  voucherCode: string;
  householdIdNumber: string;
  storeCode: string;
  modelCode: string;
  serialNumber: string;
  salePriceFen: number;
  invoiceNumber: string;
  soldAt: string;
  recyclingReceipt: string;
}

export interface TradeInResult {
  claimId: string;
  status: 'approved' | 'pending_review';
  subsidy: { baseFen: number; rateBp: number; capFen: number; amountFen: number; capped: boolean };
  payableByCustomerFen: number;
  policyVersion: number;
  flags: string[];
}

/** Carries a dry run's answer out of the transaction it rolls back. */
class RolledBack {
  constructor(readonly result: TradeInResult) {}
}

/** Serial and invoice numbers are compared normalised: a stray space or lower case must not beat uniqueness. */
export function normaliseIdentifier(s: string): string {
  return s.trim().toUpperCase();
}

/** Sales stamped a little ahead of our clock are tills with drifting clocks, not fraud. */
const CLOCK_SKEW_MS = 5 * 60_000;

const UNIQUE_CODES: Record<string, 'serial_already_subsidised' | 'receipt_already_used' | 'invoice_duplicate' | 'voucher_used'> = {
  claims_serial_live: 'serial_already_subsidised',
  claims_receipt_live: 'receipt_already_used',
  claims_invoice_live: 'invoice_duplicate',
  claims_voucher: 'voucher_used',
};

/**
 * The till's trade-in (DESIGN.md "The flow", step 3): every check of "What a trade-in must pass", the
 * subsidy from the policy in force at the sale, the voucher consumed and its reservation turned into the
 * actual amount — one transaction. A failure changes nothing but a row in trade_in_failures, the fraud
 * signal behind the prior_rejections flag.
 */
@Injectable()
export class TradeInService {
  constructor(
    private readonly db: TransactionService,
    private readonly claims: ClaimsRepository,
    private readonly vouchers: VouchersRepository,
    private readonly programs: ProgramsRepository,
    private readonly receipts: ReceiptVerifier,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly auth: AuthService,
    private readonly retailers: RetailersRepository,
    private readonly catalog: CatalogService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async submit(actor: Actor, input: TradeInInput, idempotent?: AnswerInTransaction): Promise<TradeInResult> {
    return this.attempt(actor, input, false, idempotent);
  }

  /**
   * Everything `submit` checks and computes — the same code, in a transaction that is rolled back at its end —
   * so the till can show the subsidy and what the customer pays before the sale is confirmed. Nothing changes
   * (no claim, no reservation used, no audit event); a refusal is the refusal the submission would get, and
   * counts toward the same fraud signals.
   */
  async quote(actor: Actor, input: TradeInInput): Promise<Omit<TradeInResult, 'claimId'>> {
    const { claimId: _none, ...quote } = await this.attempt(actor, input, true);
    return quote;
  }

  private async attempt(actor: Actor, input: TradeInInput, dryRun: boolean, idempotent?: AnswerInTransaction): Promise<TradeInResult> {
    requireAccess(actor, 'till.use');
    const serial = normaliseIdentifier(input.serialNumber);
    const invoice = normaliseIdentifier(input.invoiceNumber);
    // parsed once: for the receipt check (step 7), the fraud-signal reads (steps 6 and 9) and a refusal's record
    const receipt = parseReceipt(input.recyclingReceipt);
    const sale = (tx: Tx, cityPath: boolean): Sale => ({
      tx, actor, retailerId: actor.retailerId!, input, serial, invoice, receipt, now: this.clock.now(), checks: [], cityPath,
    });
    // Twice at most: a first run whose voucher's ledger slot cannot cover the movement rolls back (LedgerService
    // .commitInSlot) and the second posts through the city lock.
    const run = async (cityPath: boolean): Promise<TradeInResult> => {
      if (!dryRun) return this.db.run((tx) => this.submitInTx(sale(tx, cityPath)), idempotent);
      try {
        await this.db.run(async (tx) => {
          throw new RolledBack(await this.submitInTx(sale(tx, cityPath)));
        });
      } catch (err) {
        if (err instanceof RolledBack) return err.result;
        throw err;
      }
      throw new Error('unreachable: a dry run always rolls back');
    };
    try {
      try {
        return await run(false);
      } catch (err) {
        if (err instanceof SlotUnfunded) return await run(true);
        throw err;
      }
    } catch (err) {
      const mapped = isUniqueViolation(err) && UNIQUE_CODES[pgConstraint(err) ?? '']
        ? new DomainError(UNIQUE_CODES[pgConstraint(err)!], 'Another trade-in took this first')
        : err;
      if (mapped instanceof DomainError && mapped.status < 500) {
        await this.claims.recordFailure({
          retailerId: actor.retailerId, serial, code: mapped.code,
          ...(typeof receipt === 'string' ? {} : { issuer: receipt.payload.iss, rid: receipt.payload.rid }),
        });
      }
      throw mapped;
    }
  }

  /**
   * DESIGN.md's checklist, step by step, inside one transaction. The order is part of the contract: it decides
   * which refusal a sale with several faults gets, and the locks are taken in the order every trade-in takes them
   * (voucher, then retailer and store), so two of them never deadlock.
   *
   * Few round trips (issue 11): one statement per owner of what a step reads — the voucher (locked), the programme
   * with its policy versions, the retailer and its store (share-locked, in that order), the holder, the model,
   * everything asked of claims (`saleFacts`, read once at step 6 and judged at steps 6 to 9 in their order), the
   * receipt's key, certification and revocation — then the writes, the ledger's movement last: it locks the
   * retailer's `payable` and the voucher's ledger slot (or, for a voucher without one, the city's ledger, which
   * every trade-in of the city then waits for), so only the answer saved under the request's Idempotency-Key
   * (TransactionService, IdempotentInTransaction) runs between it and COMMIT.
   */
  private async submitInTx(sale: Sale): Promise<TradeInResult> {
    const { voucher, program } = await this.lockVoucher(sale);
    const store = await this.lockRetailerAndStore(sale);
    await this.checkVoucherHolder(sale, voucher, store);
    const { soldAt, version } = this.checkSaleTime(sale, program);
    const { model, facts, subsidy } = await this.priceTheSubsidy(sale, version.rules);
    const known = await this.readSaleFacts(sale, version.rules, program, voucher, store);
    this.checkNotSubsidisedBefore(sale, known);
    const receipt = await this.checkReceipt(sale, soldAt, version.rules, known);
    this.checkHouseholdLimit(sale, program, known);
    const { flags, review, reviewReasons } = this.reviewOrApprove(sale, version.rules, facts, receipt, known);
    const claimId = await this.record(sale, { voucher, program, store, model, soldAt, version, subsidy, receipt, flags, review, reviewReasons });
    // tests only (TRADE_IN_DEBUG_DELAY_MS): the fault drills kill the process while this transaction is open
    if (this.config.tradeInDebugDelayMs > 0) await new Promise((r) => setTimeout(r, this.config.tradeInDebugDelayMs));
    return {
      claimId,
      status: review.status,
      subsidy: { baseFen: sale.input.salePriceFen, rateBp: subsidy.rateBp, capFen: subsidy.capFen, amountFen: subsidy.amountFen, capped: subsidy.capped },
      payableByCustomerFen: subsidy.payableByCustomerFen,
      policyVersion: version.version,
      flags,
    };
  }

  /** 1. The voucher, held for the rest of the sale (a second till redeeming it waits, then finds it used). */
  private async lockVoucher({ tx, input }: Sale) {
    const voucher = await this.vouchers.lockByCode(tx, normaliseVoucherCode(input.voucherCode));
    if (!voucher) throw new DomainError('voucher_not_found', 'No voucher with this code');
    const program: ProgramFacts | undefined = await this.programs.findWithVersions(tx, voucher.programId);
    if (!program) throw new DomainError('voucher_not_found', 'No voucher with this code');
    return { voucher, program };
  }

  /**
   * 2. The retailer is certified and active, the store is its own. Share locks on both: a suspension (or a store
   * change) waits for this trade-in, and a trade-in that starts after a suspension committed reads the new status —
   * whichever commits first wins, and no trade-in commits after a suspension.
   */
  private async lockRetailerAndStore(sale: Sale) {
    const { tx, retailerId, input } = sale;
    // one statement, the retailer's lock before the store's (RetailersRepository.shareWithStore)
    const { retailer, store } = await this.retailers.shareWithStore(tx, retailerId, input.storeCode.trim());
    if (!retailer || retailer.status !== 'active') throw new DomainError('retailer_not_active', 'The retailer is not certified and active');
    pass(sale, 'retailer_active');
    if (!store) throw new DomainError('not_found', `No store ${input.storeCode} for this retailer`);
    return store;
  }

  /** 3. The voucher is the customer's, still open, and redeemed in its own city. */
  private async checkVoucherHolder(sale: Sale, voucher: Voucher, store: { city: string }) {
    if (!(await this.auth.isIdNumberHolder(sale.tx, voucher.householdId, sale.input.householdIdNumber))) {
      throw new DomainError('voucher_not_owned', 'The voucher belongs to another household');
    }
    pass(sale, 'voucher_owner');
    if (voucher.status === 'used') throw new DomainError('voucher_used', 'The voucher was used already');
    if (voucher.status === 'expired' || voucher.expiresAt <= sale.now) throw new DomainError('voucher_expired', 'The voucher has expired');
    pass(sale, 'voucher_open');
    if (store.city !== voucher.city) throw new DomainError('store_not_in_city', `Vouchers for ${voucher.city} are redeemed in ${voucher.city} stores only`);
    pass(sale, 'store_city');
  }

  /** 4. The sale happened (not in the future) inside the programme, under the policy version in force then. */
  private checkSaleTime(sale: Sale, program: ProgramFacts) {
    const soldAt = new Date(sale.input.soldAt);
    if (soldAt.getTime() > sale.now.getTime() + CLOCK_SKEW_MS) throw new DomainError('sale_in_future', 'The sale time is in the future');
    const version = selectVersion(program.versions, soldAt);
    if (soldAt < program.startsAt || soldAt >= program.endsAt || !version) {
      throw new DomainError('sale_outside_program', 'The sale is outside the programme period');
    }
    pass(sale, 'sale_time');
    return { soldAt, version };
  }

  /** 5. The model is in the catalogue and eligible; the subsidy under the rules for this price. */
  private async priceTheSubsidy(sale: Sale, rules: PolicyRules) {
    const model = await this.catalog.find(sale.tx, sale.input.modelCode);
    if (!model) throw new DomainError('model_not_found', `Model ${sale.input.modelCode} is not in the catalogue`);
    const facts: ModelFacts = modelFacts(model);
    let subsidy;
    try {
      subsidy = computeSubsidy(rules, facts, sale.input.salePriceFen);
    } catch (err) {
      if (err instanceof PolicyViolation) throw new DomainError(err.code, err.message);
      throw err;
    }
    pass(sale, 'model_eligible');
    pass(sale, 'price');
    return { model, facts, subsidy };
  }

  /**
   * What steps 6 to 9 ask of claims and trade_in_failures, read in one statement (ClaimsRepository.saleFacts) and
   * judged by each step in its turn. The counts need only reach the limit each is compared with.
   */
  private readSaleFacts(sale: Sale, rules: PolicyRules, program: ProgramFacts, voucher: Voucher, store: { id: string }): Promise<SaleFacts> {
    const parsed = typeof sale.receipt === 'string' ? undefined : sale.receipt.payload;
    return this.claims.saleFacts(sale.tx, {
      serial: sale.serial, retailerId: sale.retailerId, invoice: sale.invoice, issuer: parsed?.iss ?? null, rid: parsed?.rid ?? null,
      programId: program.id, householdId: voucher.householdId, storeId: store.id, since: new Date(sale.now.getTime() - 3600_000),
      countsUpTo: { household: program.perHouseholdLimit, store: rules.storeBurstPerHour, retailer: rules.firstClaimsReviewed },
    });
  }

  /** 6. This TV and this invoice were not subsidised before (the unique indexes say so again at insert). */
  private checkNotSubsidisedBefore(sale: Sale, known: SaleFacts) {
    if (known.serialLive) throw new DomainError('serial_already_subsidised', 'This TV was subsidised already');
    pass(sale, 'serial_new');
    if (known.invoiceLive) throw new DomainError('invoice_duplicate', 'This invoice number was used already');
    pass(sale, 'invoice_new');
  }

  /** 7. The recycling receipt: signed, not revoked, this household's, a TV, in the window, not used before. */
  private async checkReceipt(sale: Sale, soldAt: Date, rules: PolicyRules, known: SaleFacts) {
    const receipt = await this.receipts.verifyParsed(sale.input.recyclingReceipt, sale.receipt, { holderIdNumber: sale.input.householdIdNumber, soldAt, rules }, sale.tx);
    // saleFacts asked about the parsed receipt's iss and rid, which are the verified receipt's
    if (known.receiptLive) throw new DomainError('receipt_already_used', 'This recycling receipt was used already');
    pass(sale, 'receipt', receipt.afterSale ? 'after_sale' : 'ok');
    return receipt;
  }

  /** 8. The household has not reached its limit for the programme. */
  private checkHouseholdLimit(sale: Sale, program: ProgramFacts, known: SaleFacts) {
    if (known.householdClaims >= program.perHouseholdLimit) {
      throw new DomainError('household_limit_reached', 'The household has reached its limit for the programme');
    }
    pass(sale, 'household_limit');
  }

  /** 9. Risk flags, and whether an auditor looks first (flags, a new retailer's first claims, a random sample). */
  private reviewOrApprove(sale: Sale, rules: PolicyRules, facts: ModelFacts, receipt: { afterSale: boolean }, known: SaleFacts) {
    const flags: string[] = [];
    if (priceAboveReference(rules, sale.input.salePriceFen, facts.referencePriceFen)) flags.push(FLAG_PRICE_ABOVE_REFERENCE);
    if (receipt.afterSale) flags.push(FLAG_RECEIPT_AFTER_SALE);
    if (exceedsStoreBurst(rules, known.storeClaimsSince + 1)) flags.push(FLAG_STORE_BURST);
    if (known.priorRejections) flags.push(FLAG_PRIOR_REJECTIONS);
    const review = decideReview(rules, {
      flags, retailerPriorClaims: known.retailerClaims, sampleDraw: randomInt(10000),
    });
    const reviewReasons = [...flags, ...(review.firstClaims ? ['first_claims'] : []), ...(review.sampled ? ['sample'] : [])];
    return { flags, review, reviewReasons };
  }

  /**
   * 10. The claim, the voucher used, the money and the audit event, together. The voucher reserved the cap; the
   * claim keeps its amount (reserved while under review, payable to the retailer once approved) and the rest goes
   * back to the pool. A later policy with a higher cap draws the difference from `available`, which the database
   * refuses to overdraw.
   *
   * The ledger's movement comes last: it locks accounts until COMMIT — the retailer's `payable` and the voucher's
   * slot accounts where the voucher's reservation is (`commitInSlot`), else the city's ledger — so the audit event
   * is written before it, not while other trade-ins wait.
   */
  private async record(sale: Sale, c: Recorded): Promise<string> {
    const { tx, actor, retailerId, input, serial, invoice, now } = sale;
    const claimId = newId();
    const reservedFen = c.voucher.reservedFen;
    const amountFen = c.subsidy.amountFen;
    await this.claims.insert(tx, {
      id: claimId, programId: c.program.id, city: c.voucher.city, retailerId, storeId: c.store.id, householdId: c.voucher.householdId,
      voucherId: c.voucher.id, programCode: c.program.code, storeCode: c.store.code, voucherCode: c.voucher.code, modelCode: c.model.modelCode, serialNumber: serial, invoiceNumber: invoice,
      salePriceFen: input.salePriceFen, soldAt: c.soldAt, receiptIssuer: c.receipt.iss, receiptRid: c.receipt.rid, receiptKid: c.receipt.kid,
      receiptIssuedAt: c.receipt.issuedAt, policyVersion: c.version.version, rateBp: c.subsidy.rateBp, capFen: c.subsidy.capFen,
      baseFen: input.salePriceFen, amountFen, capped: c.subsidy.capped, reservedFen, status: c.review.status, flags: c.flags,
      reviewReasons: c.reviewReasons, checks: sale.checks, createdAt: now,
    });
    await this.vouchers.markUsed(tx, c.voucher.id, now);
    await this.audit.append(tx, actor, {
      action: 'claim.submitted', subjectType: 'claim', subjectId: claimId,
      details: {
        status: c.review.status, voucherCode: c.voucher.code, storeCode: input.storeCode, modelCode: c.model.modelCode,
        serialNumber: serial, invoiceNumber: invoice, salePriceFen: input.salePriceFen, amountFen, policyVersion: c.version.version,
        flags: c.flags, reviewReasons: c.reviewReasons, receipt: { iss: c.receipt.iss, rid: c.receipt.rid },
      },
    });
    const scope = { programId: c.program.id, city: c.voucher.city, reference: claimId, reservedFen, amountFen };
    const approved = c.review.status === 'approved';
    // in the voucher's ledger slot, without the city lock, where its reservation is (else SlotUnfunded: run again)
    if (c.voucher.slot !== null && !sale.cityPath) await this.ledger.commitInSlot(tx, actor, { ...scope, slot: c.voucher.slot, ...(approved ? { retailerId } : {}) });
    else if (approved) await this.ledger.commit(tx, actor, { ...scope, retailerId });
    else await this.ledger.holdForReview(tx, actor, scope);
    return claimId;
  }

}
