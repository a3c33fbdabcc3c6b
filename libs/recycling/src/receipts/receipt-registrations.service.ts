import { Inject, Injectable } from '@nestjs/common';
import { AuditService, TreeHeadSigner } from '@huanxin/audit-log';
import {
  Actor, Clock, decodeTimeCursor, DomainError, encodeTimeCursor, LIVE_CLAIMS, LiveClaims, Page, pageSize, requireAccess, toShanghaiIso,
} from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { keyTrustedForSignatureAt, wasCertifiedAt } from '../certification';
import { RecyclerKeysRepository } from '../recycler-keys.repository';
import { RecyclersRepository } from '../recyclers.repository';
import { parseReceipt, receiptHash } from './receipt-format';
import { ReceiptRegistration, ReceiptRegistrationsRepository, RegistrationKey } from './receipt-registrations.repository';
import { checkReceiptHeader, checkReceiptSignature } from './receipt-verifier.service';

/** The JWS `typ` of the platform's registration timestamps. */
export const RECEIPT_TIMESTAMP_TYP = 'hx-receipt-timestamp+jwt';
/** The longest evidence string a dismantling confirmation keeps (a photo hash, a weight). */
export const MAX_DISMANTLE_EVIDENCE = 200;

/** POST /v1/recycler/receipts: what the recycler keeps as proof the platform saw the receipt then. */
export interface ReceiptRegistrationView {
  iss: string;
  rid: string;
  /** RFC 3339 in Asia/Shanghai, to the millisecond: the receipt's issue time from now on */
  registeredAt: string;
  /** compact JWS by the platform's audit key over {iss, rid, receiptHash, registeredAt} */
  timestampToken: string;
}

export type ReceiptStatus = 'registered' | 'used' | 'dismantled' | 'revoked';

/** One receipt in the recycler's own list (GET /v1/recycler/receipts). */
export interface RegisteredReceiptView {
  rid: string;
  kid: string;
  receiptHash: string;
  registeredAt: string;
  /** the most telling state: revoked, else dismantled, else used (in a live claim), else registered */
  status: ReceiptStatus;
  usedInClaim: boolean;
  dismantledAt: string | null;
  dismantleEvidence: string | null;
  revokedAt: string | null;
}

export interface DismantledView {
  iss: string;
  rid: string;
  dismantledAt: string;
  confirmedAt: string;
  evidence: string | null;
}

/** RFC 3339 with +08:00 and milliseconds: a registration time is compared to the millisecond, so it is shown so. */
export function toShanghaiIsoMs(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().replace('Z', '+08:00');
}

function registrationView(r: ReceiptRegistration): ReceiptRegistrationView {
  return { iss: r.recyclerId, rid: r.rid, registeredAt: toShanghaiIsoMs(r.registeredAt), timestampToken: r.timestampToken };
}

function decodeRegistrationCursor(s: string | undefined): RegistrationKey | undefined {
  if (s === undefined) return undefined;
  const { at, key } = decodeTimeCursor(s, (rid) => rid.length >= 1 && rid.length <= 200);
  return { registeredAt: at, rid: key };
}

/**
 * Receipt transparency (issue 13, API.md "Receipt transparency and dismantling"): a recycler registers each receipt
 * as it issues it and gets the platform's signed timestamp back, like Certificate Transparency's SCT. The signature,
 * the key and the recycler's certification are checked at the platform's clock, which is the receipt's issue time
 * from then on (ReceiptVerifier). Registering is idempotent on the receipt: the same receipt again answers the first
 * registration; another receipt with the same (iss, rid) is 409 receipt_rid_conflict. Later the recycler confirms
 * the collected set dismantled, once.
 */
@Injectable()
export class ReceiptRegistrationsService {
  constructor(
    private readonly db: TransactionService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly signer: TreeHeadSigner,
    private readonly registrations: ReceiptRegistrationsRepository,
    private readonly keys: RecyclerKeysRepository,
    private readonly recyclers: RecyclersRepository,
    @Inject(LIVE_CLAIMS) private readonly liveClaims: LiveClaims,
  ) {}

  private recyclerOf(actor: Actor): string {
    requireAccess(actor, 'receipts.manage');
    return actor.recyclerId!; // requireAccess refuses a recycler actor without one
  }

  /** `created` false: this very receipt was registered before, and the answer is that first registration. */
  async register(actor: Actor, jws: unknown): Promise<{ created: boolean; registration: ReceiptRegistrationView }> {
    const recyclerId = this.recyclerOf(actor);
    const { kid, parsed } = checkReceiptHeader(parseReceipt(jws));
    const receipt = jws as string;
    const { iss, rid } = parsed.payload;
    if (iss !== recyclerId) throw new DomainError('forbidden', 'A recycler registers only the receipts it issued (iss is another recycler)');
    const hash = receiptHash(receipt);
    const before = await this.registrations.find(undefined, recyclerId, rid);
    if (before) return { created: false, registration: this.sameReceipt(before, hash) };

    return this.db.run(async (tx) => {
      // held against a concurrent decertification until COMMIT; the platform's time is read once the lock is held
      if (!(await this.recyclers.lockById(tx, recyclerId, 'share'))) throw new DomainError('forbidden', 'No such recycler');
      const registeredAt = this.clock.now();
      const facts = await this.keys.receiptFactsInTx(tx, recyclerId, kid, rid);
      if (!facts) throw new DomainError('receipt_key_unknown', 'The receipt was signed with a key that is not registered for this recycler');
      await checkReceiptSignature(receipt, facts.key);
      if (!keyTrustedForSignatureAt(facts.key, registeredAt)) {
        throw new DomainError('receipt_key_revoked', `The receipt's signing key was revoked (${facts.key.revokeReason})`);
      }
      if (!wasCertifiedAt(facts.periods, registeredAt)) {
        throw new DomainError('recycler_not_certified', 'The recycler is not certified now; it cannot register receipts');
      }
      if (facts.revoked) throw new DomainError('receipt_revoked', 'The recycler revoked this receipt');
      const stamp = { iss: recyclerId, rid, receiptHash: hash, registeredAt: toShanghaiIsoMs(registeredAt) };
      const timestampToken = this.signer.signCompact(stamp, RECEIPT_TIMESTAMP_TYP);
      const row = { recyclerId, rid, receiptHash: hash, kid, registeredAt, timestampToken };
      if (!(await this.registrations.insertIfNew(tx, row))) {
        // another process registered this rid first and has committed (READ COMMITTED: this statement sees it)
        const winner = (await this.registrations.find(tx, recyclerId, rid))!;
        return { created: false, registration: this.sameReceipt(winner, hash) };
      }
      await this.audit.append(tx, actor, {
        action: 'receipt.registered', subjectType: 'receipt', subjectId: `${recyclerId}/${rid}`,
        details: { kid, receiptHash: hash, registeredAt: stamp.registeredAt },
      });
      return { created: true, registration: registrationView({ ...row, dismantledAt: null, dismantleConfirmedAt: null, dismantleEvidence: null }) };
    });
  }

  private sameReceipt(r: ReceiptRegistration, hash: string): ReceiptRegistrationView {
    if (r.receiptHash !== hash) throw new DomainError('receipt_rid_conflict', 'Another receipt with this rid is registered already');
    return registrationView(r);
  }

  /** The calling recycler's registered receipts, newest first, keyset-paginated, each with its state. */
  async listOwn(actor: Actor, q: { limit?: number; cursor?: string }): Promise<Page<RegisteredReceiptView>> {
    const recyclerId = this.recyclerOf(actor);
    const limit = pageSize(q.limit);
    const rows = await this.registrations.page(recyclerId, limit + 1, decodeRegistrationCursor(q.cursor));
    const page = rows.slice(0, limit);
    const used = await this.liveClaims.receiptsUsed(this.db.manager, recyclerId, page.map((r) => r.rid));
    const last = page[page.length - 1];
    return {
      items: page.map((r) => {
        const usedInClaim = used.has(r.rid);
        const status: ReceiptStatus = r.revokedAt ? 'revoked' : r.dismantledAt ? 'dismantled' : usedInClaim ? 'used' : 'registered';
        return {
          rid: r.rid, kid: r.kid, receiptHash: r.receiptHash, registeredAt: toShanghaiIsoMs(r.registeredAt), status, usedInClaim,
          dismantledAt: r.dismantledAt ? toShanghaiIso(r.dismantledAt) : null, dismantleEvidence: r.dismantleEvidence,
          revokedAt: r.revokedAt ? toShanghaiIso(r.revokedAt) : null,
        };
      }),
      nextCursor: rows.length > limit && last ? encodeTimeCursor(last.registeredAt, last.rid) : null,
    };
  }

  /**
   * The recycler confirms the receipt's set dismantled (`dismantledAt`, not in the future; free evidence, capped),
   * once: again → 409 already_confirmed. Claims held for this receipt's dismantling are released in the same
   * transaction.
   */
  async confirmDismantled(actor: Actor, rid: string, input: { dismantledAt: Date; evidence?: string }): Promise<DismantledView> {
    const recyclerId = this.recyclerOf(actor);
    const now = this.clock.now();
    if (input.dismantledAt.getTime() > now.getTime()) {
      throw new DomainError('validation_failed', 'The request has invalid fields', [{ field: 'dismantledAt', message: 'dismantledAt must not be in the future' }]);
    }
    const evidence = input.evidence?.trim() || null;
    if (evidence !== null && evidence.length > MAX_DISMANTLE_EVIDENCE) {
      throw new DomainError('validation_failed', 'The request has invalid fields', [{ field: 'evidence', message: `evidence must be at most ${MAX_DISMANTLE_EVIDENCE} characters` }]);
    }
    return this.db.run(async (tx) => {
      const r = await this.registrations.find(tx, recyclerId, rid);
      if (!r) throw new DomainError('not_found', 'This recycler registered no receipt with this rid');
      if (r.dismantledAt) throw new DomainError('already_confirmed', 'This receipt was confirmed dismantled already');
      if (!(await this.registrations.confirmDismantled(tx, { recyclerId, rid, dismantledAt: input.dismantledAt, evidence, at: now }))) {
        throw new DomainError('already_confirmed', 'This receipt was confirmed dismantled already');
      }
      const released = await this.liveClaims.releaseDismantlingHold(tx, recyclerId, rid);
      await this.audit.append(tx, actor, {
        action: 'receipt.dismantled', subjectType: 'receipt', subjectId: `${recyclerId}/${rid}`,
        details: { dismantledAt: toShanghaiIso(input.dismantledAt), evidence, releasedClaims: released },
      });
      return { iss: recyclerId, rid, dismantledAt: toShanghaiIso(input.dismantledAt), confirmedAt: toShanghaiIso(now), evidence };
    });
  }
}
