import { ClaimsService, TradeInInput, TradeInResult, TradeInService } from '@huanxin/claims';
import { Actor, toShanghaiIso } from '@huanxin/core';
import { BudgetsService } from '@huanxin/programs';
import { signReceipt } from '@huanxin/recycling';
import { ReviewService } from '@huanxin/review';
import { VouchersService, VoucherView } from '@huanxin/vouchers';
import { ActorBase, Candidates, HOUR, Op, take } from './actor-kit';
import type { MClaim, MVoucher } from './ledger-model';
import type { Prng } from './prng';
import { phone, residentId } from './sim-ids';
import { call, CallResult, label } from './sim-state';
import { SIM_MODELS, SIM_RULES, SimModel, SimRetailer } from './world';

const ELIGIBLE = SIM_MODELS.filter((m) => SIM_RULES.eligibility.resolutions.includes(m.resolution as '4K' | '8K') && m.energyGrade <= SIM_RULES.eligibility.maxEnergyGrade);

/** The subsidy by POLICY.md's rule, computed here independently of libs/policy: rate by grade, half up, capped. */
export function expectedSubsidy(m: SimModel, salePriceFen: number): number {
  const rate = SIM_RULES.rates.find((r) => r.energyGrade === m.energyGrade)!.rateBp + (SIM_RULES.resolutionBonusBp as Record<string, number>)[m.resolution];
  const rounded = Math.floor((salePriceFen * rate + 5000) / 10000);
  return Math.min(rounded, SIM_RULES.capFen);
}

/** POLICY.md price_above_reference: sale × 10000 > reference × priceFlagRatioBp. */
export function priceFlagged(m: SimModel, salePriceFen: number): boolean {
  return salePriceFen * 10000 > m.referencePriceFen * SIM_RULES.priceFlagRatioBp;
}

type TradeInPlan = Omit<NonNullable<ReturnType<FrontOffice['tradeInBody']>>, 'twin'>;

/**
 * The front office: the programme office granting budget, households taking vouchers, the expiry job, tills
 * submitting trade-ins (valid, invalid, and two at once on one voucher), auditors deciding and clawing back,
 * retailers cancelling. Each method plans one op from the model and answers it (or nothing when it cannot).
 */
export class FrontOffice extends ActorBase {
  // ------------------------------------------------------------------------------------------ time, budget

  time(rng: Prng, n: number): Op {
    const hours = rng.between(2, 14);
    return {
      n, kind: 'time', what: `clock +${hours} h`,
      exec: async () => this.w.setTime(this.w.now + hours * HOUR),
      settle: () => 'ok',
    };
  }

  grant(rng: Prng, n: number): Op {
    const city = [...this.w.cities].sort((a, b) => this.available(a) - this.available(b) || a.localeCompare(b))[rng.chance(0.7) ? 0 : rng.int(this.w.cities.length)];
    const amountFen = rng.between(50, 200) * 100_000;
    const node = this.node(rng);
    let r: CallResult;
    return {
      n, kind: 'grant', what: `grant ${amountFen} fen to ${city} via ${node.name}`,
      exec: async () => {
        r = await call(() => node.get(BudgetsService).grant(this.w.admin, this.w.programCode, { city, amountFen, note: `sim op ${n}` }));
      },
      settle: () => {
        if (r.ok) this.m.grant(city, amountFen);
        else this.unexpected(n, 'grant', r);
        return label(r);
      },
    };
  }

  // ---------------------------------------------------------------------------------------------- vouchers

  voucher(rng: Prng, c: Candidates, n: number): Op | undefined {
    const node = this.node(rng);
    const reuse = rng.chance(0.5);
    const existing = reuse ? take(rng, c.freeHouseholds) : undefined;
    const city = existing ? existing.city : rng.pick(this.w.cities);
    const hn = existing ? existing.n : this.s.seq.household++;
    const idle = existing ? existing.idle : rng.chance(0.12);
    const idNumber = existing ? existing.idNumber : residentId(hn);
    let householdId = existing?.id;
    let reg: CallResult | undefined;
    let r: CallResult<VoucherView> | undefined;
    return {
      n, kind: 'voucher', what: `household #${hn} (${city}${idle ? ', idle' : ''}${existing ? '' : ', new'}) takes a voucher via ${node.name}`,
      exec: async () => {
        if (!householdId) {
          reg = await call(() => this.w.register(node, { phone: phone(hn), idNumber, city }));
          if (!reg.ok) return;
          householdId = (reg.value as { id: string }).id;
        }
        const actor: Actor = { kind: 'user', id: householdId, role: 'household', city };
        r = await call(() => node.get(VouchersService).issue(actor, this.w.programCode));
      },
      settle: () => {
        if (reg && !reg.ok) {
          this.unexpected(n, 'register', reg);
          return `register ${label(reg)}`;
        }
        let h = existing;
        if (!h) {
          h = { n: hn, id: householdId!, idNumber, city, idle, open: null, claims: [] };
          this.m.households.push(h);
        }
        if (!r!.ok) {
          if (!['quota_exhausted', 'budget_exhausted'].includes(r!.code)) this.unexpected(n, 'voucher', r!, true);
          return r!.code;
        }
        const v = r!.value;
        const expiresAt = Date.parse(v.expiresAt);
        if (v.reservedFen !== SIM_RULES.capFen || v.city !== city || v.status !== 'open' || expiresAt !== this.w.now + this.s.world.voucherValidityMs) {
          this.s.fail('outcome', `op ${n}: voucher ${v.code} answered ${JSON.stringify(v)}; expected ${SIM_RULES.capFen} fen reserved in ${city}, open, expiring ${toShanghaiIso(new Date(this.w.now + this.s.world.voucherValidityMs))}`, n);
        }
        // one open voucher per household: an old one past its expiry was expired by this issue, in its transaction
        if (h.open) this.m.setVoucherStatus(h.open, 'expired');
        const mv: MVoucher = { n, code: v.code, city, household: h, reservedFen: SIM_RULES.capFen, expiresAt, status: 'open' };
        h.open = mv;
        this.m.addVoucher(mv);
        return 'issued';
      },
    };
  }

  expire(rng: Prng, n: number): Op {
    const node = this.node(rng);
    let r: CallResult<number>;
    return {
      n, kind: 'expire', what: `voucher expiry job via ${node.name}`,
      exec: async () => {
        r = await call(() => node.get(VouchersService).expireBatch(500));
        this.s.dirty.vouchers = true;
      },
      settle: () => {
        if (!r.ok) this.unexpected(n, 'expire', r);
        return r.ok ? `expired ${r.value}` : label(r);
      },
    };
  }

  // --------------------------------------------------------------------------------------------- trade-ins

  retailerIn(rng: Prng, city: string, exclude?: string): { retailer: SimRetailer; store: string } | undefined {
    const options = this.w.retailers.filter((r) => r.stores.some((s) => s.city === city) && r.id !== exclude);
    if (!options.length) return undefined;
    const retailer = rng.pick(options);
    return { retailer, store: retailer.stores.find((s) => s.city === city)!.code };
  }

  /**
   * A complete trade-in for voucher `v`, chosen now; the receipt is signed when it runs. `twin()` is the same
   * sale (shop, model, price, times) with its own serial, invoice and receipt: what a second till would send.
   */
  tradeInBody(rng: Prng, v: MVoucher, opts: { city?: string; idNumber?: string; model?: SimModel; soldAt?: number; serial?: string } = {}) {
    const at = this.retailerIn(rng, opts.city ?? v.city);
    if (!at) return undefined;
    const model = opts.model ?? rng.pick(ELIGIBLE);
    const flagged = rng.chance(0.22);
    const ref = model.referencePriceFen;
    const salePriceFen = flagged
      ? Math.floor((ref * SIM_RULES.priceFlagRatioBp) / 10000) + rng.between(1, 300000)
      : rng.between(Math.floor(ref / 2), Math.floor((ref * SIM_RULES.priceFlagRatioBp) / 10000));
    const soldAt = opts.soldAt ?? this.w.now - rng.between(10, 180) * 60_000;
    const afterSale = rng.chance(0.05);
    const issuedAt = afterSale ? soldAt + rng.between(1, 9) * 60_000 : soldAt - rng.between(1, 60) * HOUR;
    const recycler = rng.pick(this.w.recyclers);
    const make = (serialOverride?: string) => {
      const k = this.s.seq.claim++;
      const serial = serialOverride ?? `SN-${this.s.seed}-${k}`;
      const input = {
        voucherCode: v.code, householdIdNumber: opts.idNumber ?? v.household.idNumber, storeCode: at.store, modelCode: model.modelCode,
        serialNumber: serial, salePriceFen, invoiceNumber: `INV-${k}`, soldAt: new Date(soldAt).toISOString(),
      };
      const sign = () => signReceipt({
        recyclerId: recycler.id, kid: recycler.kid, privateKey: recycler.privateKey, rid: `R-${this.s.seed}-${k}`,
        holderIdNumber: v.household.idNumber, issuedAt: new Date(issuedAt),
        device: { category: 'tv', brand: 'Sony', model: 'KD-42', serialNumber: `OLD-${k}`, screenInches: 42 },
      });
      return {
        k, retailer: at.retailer, model, salePriceFen, serial,
        expectedAmount: expectedSubsidy(model, salePriceFen),
        expectedStatus: priceFlagged(model, salePriceFen) || afterSale ? 'pending_review' as const : 'approved' as const,
        build: async (): Promise<TradeInInput> => ({ ...input, recyclingReceipt: await sign() }),
        describe: `${model.modelCode} at ${salePriceFen} fen, ${at.retailer.n}/${at.store}${afterSale ? ', receipt after sale' : ''}`,
      };
    };
    return { ...make(opts.serial), twin: () => make() };
  }

  settleTradeIn(n: number, v: MVoucher, t: TradeInPlan, value: TradeInResult): void {
    if (value.subsidy.amountFen !== t.expectedAmount || value.status !== t.expectedStatus) {
      this.s.fail('outcome', `op ${n}: trade-in on ${v.code} (${t.describe}) answered ${value.status} ${value.subsidy.amountFen} fen; the policy says ${t.expectedStatus} ${t.expectedAmount} fen`, n);
    }
    this.m.setVoucherStatus(v, 'used');
    const claim: MClaim = {
      n, id: value.claimId, city: v.city, retailerId: t.retailer.id, amountFen: t.expectedAmount,
      status: value.status, serial: t.serial, household: v.household, voucherCode: v.code,
    };
    this.m.addClaim(claim);
  }

  tradeIn(rng: Prng, c: Candidates, n: number): Op | undefined {
    const v = take(rng, c.tradeable);
    if (!v) return undefined;
    const t = this.tradeInBody(rng, v);
    if (!t) return undefined;
    const node = this.node(rng);
    let r: CallResult<TradeInResult>;
    return {
      n, kind: 'tradeIn', what: `trade-in on voucher #${v.n} (household #${v.household.n}): ${t.describe} via ${node.name}`,
      exec: async () => {
        const input = await t.build();
        r = await call(() => node.get(TradeInService).submit(t.retailer.actor, input));
      },
      settle: () => {
        if (!r.ok) {
          this.unexpected(n, 'trade-in', r, true);
          return r.code;
        }
        this.settleTradeIn(n, v, t, r.value);
        return r.value.status;
      },
    };
  }

  /** A trade-in the platform must refuse with one specific code, changing nothing (the ledger check proves it). */
  tradeInInvalid(rng: Prng, c: Candidates, n: number): Op | undefined {
    const variant = rng.pick(['wrong_city', 'not_owned', 'expired', 'dup_serial', 'ineligible', 'future'] as const);
    const v = variant === 'expired' ? take(rng, c.expiredOpen) : take(rng, c.tradeable);
    if (!v) return undefined;
    let t: TradeInPlan | undefined;
    let expected: string;
    switch (variant) {
      case 'wrong_city': {
        const other = this.w.cities.filter((x) => x !== v.city);
        if (!other.length) return undefined;
        t = this.tradeInBody(rng, v, { city: rng.pick(other) });
        expected = 'store_not_in_city';
        break;
      }
      case 'not_owned': {
        const others = this.m.households.filter((h) => h !== v.household);
        if (!others.length) return undefined;
        t = this.tradeInBody(rng, v, { idNumber: rng.pick(others).idNumber });
        expected = 'voucher_not_owned';
        break;
      }
      case 'expired':
        t = this.tradeInBody(rng, v);
        expected = 'voucher_expired';
        break;
      case 'dup_serial': {
        const victim = take(rng, c.live);
        if (!victim) return undefined;
        // the claim holding the serial must stay live during this batch
        for (const list of [c.cancellable, c.pending, c.paid]) {
          const i = list.indexOf(victim);
          if (i >= 0) list.splice(i, 1);
        }
        t = this.tradeInBody(rng, v, { serial: victim.serial });
        expected = 'serial_already_subsidised';
        break;
      }
      case 'ineligible':
        t = this.tradeInBody(rng, v, { model: SIM_MODELS.find((m) => m.resolution === 'FHD') });
        expected = 'model_not_eligible';
        break;
      case 'future':
        t = this.tradeInBody(rng, v, { soldAt: this.w.now + rng.between(1, 48) * HOUR });
        expected = 'sale_in_future';
        break;
    }
    if (!t) return undefined;
    const node = this.node(rng);
    let r: CallResult<TradeInResult>;
    const tt = t;
    return {
      n, kind: 'tradeInInvalid', what: `invalid trade-in (${variant}) on voucher #${v.n}: ${tt.describe} via ${node.name}`,
      exec: async () => {
        const input = await tt.build();
        r = await call(() => node.get(TradeInService).submit(tt.retailer.actor, input));
      },
      settle: () => {
        if (r.ok) {
          this.s.fail('outcome', `op ${n}: an invalid trade-in (${variant}) on ${v.code} was accepted: claim ${r.value.claimId}`, n);
          this.settleTradeIn(n, v, tt, r.value);
        } else if (r.code !== expected) {
          if (r.unexpected) this.unexpected(n, 'trade-in', r);
          else this.s.fail('outcome', `op ${n}: an invalid trade-in (${variant}) on ${v.code} was refused with ${r.code}, expected ${expected}`, n);
        }
        return `${variant} ${label(r)}`;
      },
    };
  }

  /** Two tills redeem one voucher at once: exactly one wins, the other is told the voucher is used. */
  tradeInRace(rng: Prng, c: Candidates, n: number): Op | undefined {
    const v = take(rng, c.tradeable);
    if (!v) return undefined;
    // two tills, one sale: whichever wins, the claim is the same but for its serial and invoice
    const a = this.tradeInBody(rng, v);
    if (!a) return undefined;
    const b = a.twin();
    const nodes = [this.w.stripe, this.w.bank];
    const rs: CallResult<TradeInResult>[] = [];
    return {
      n, kind: 'tradeInRace', what: `two tills redeem voucher #${v.n} at once: ${a.describe}`,
      exec: async () => {
        const inputs = await Promise.all([a.build(), b.build()]);
        rs.push(...(await Promise.all([a, b].map((t, i) => call(() => nodes[i].get(TradeInService).submit(t.retailer.actor, inputs[i]))))));
      },
      settle: () => {
        const winners = rs.filter((r) => r.ok).length;
        for (const r of rs) if (!r.ok && (r.unexpected || r.code !== 'voucher_used')) this.unexpected(n, 'racing trade-in', r, true);
        if (winners !== 1) this.s.fail('outcome', `op ${n}: ${winners} of two racing trade-ins on ${v.code} won: ${rs.map(label).join(', ')}`, n);
        rs.forEach((r, i) => {
          if (r.ok) this.settleTradeIn(n, v, [a, b][i], r.value);
        });
        return rs.map(label).join('+');
      },
    };
  }

  // ----------------------------------------------------------------------------------------------- review

  decide(rng: Prng, c: Candidates, n: number, decision: 'approve' | 'reject'): Op | undefined {
    const claim = take(rng, c.pending);
    if (!claim) return undefined;
    this.busy(c, claim);
    const auditor = rng.pick(this.w.auditors);
    const node = this.node(rng);
    let r: CallResult<{ status: string }>;
    return {
      n, kind: decision, what: `auditor ${decision}s claim #${claim.n} (${claim.amountFen} fen) via ${node.name}`,
      exec: async () => {
        r = await call(() => node.get(ReviewService).decide(auditor, claim.id, decision, `sim op ${n}`));
      },
      settle: () => {
        const expected = decision === 'approve' ? 'approved' : 'rejected';
        if (!r.ok) this.unexpected(n, decision, r, true);
        else if (r.value.status !== expected) this.s.fail('outcome', `op ${n}: ${decision} of claim ${claim.id} answered ${r.value.status}`, n);
        else this.m.setClaimStatus(claim, expected);
        return label(r);
      },
    };
  }

  /** Two auditors decide one claim at once, one approving, one rejecting: exactly one decision stands. */
  decideRace(rng: Prng, c: Candidates, n: number): Op | undefined {
    const claim = take(rng, c.pending);
    if (!claim) return undefined;
    this.busy(c, claim);
    // the same decision twice, so that the claim's fate does not depend on which commits first (replays agree)
    const decision = rng.chance(0.65) ? 'approve' as const : 'reject' as const;
    const decisions = [decision, decision] as const;
    const rs: CallResult<{ status: string }>[] = [];
    return {
      n, kind: 'decideRace', what: `two auditors decide claim #${claim.n} at once: ${decisions.join(' vs ')}`,
      exec: async () => {
        rs.push(...(await Promise.all(decisions.map((d, i) =>
          call(() => this.w.apis[i].get(ReviewService).decide(this.w.auditors[i], claim.id, d, `sim op ${n}`))))));
      },
      settle: () => {
        const won = rs.map((r, i) => (r.ok ? i : -1)).filter((i) => i >= 0);
        for (const r of rs) if (!r.ok && (r.unexpected || r.code !== 'claim_already_decided')) this.unexpected(n, 'racing decision', r, true);
        if (won.length !== 1) {
          this.s.fail('outcome', `op ${n}: ${won.length} of two racing decisions on claim ${claim.id} stood: ${rs.map(label).join(', ')}`, n);
        }
        if (won.length) {
          const r = rs[won[won.length - 1]] as { ok: true; value: { status: string } };
          this.m.setClaimStatus(claim, r.value.status as MClaim['status']);
        }
        return rs.map(label).join('+');
      },
    };
  }

  /** The TV came back: before payout the claim is cancelled, after payout it is clawed back. */
  cancel(rng: Prng, c: Candidates, n: number): Op | undefined {
    const claim = take(rng, c.cancellable);
    if (!claim) return undefined;
    this.busy(c, claim);
    const retailer = this.w.retailers.find((r) => r.id === claim.retailerId)!;
    const node = this.node(rng);
    const from = claim.status;
    let r: CallResult<{ status: string }>;
    return {
      n, kind: 'cancel', what: `retailer ${retailer.n} cancels claim #${claim.n} (${from}, ${claim.amountFen} fen) via ${node.name}`,
      exec: async () => {
        r = await call(() => node.get(ClaimsService).cancel(retailer.actor, claim.id, `sim op ${n}: the TV came back`));
      },
      settle: () => {
        if (!r.ok) {
          // a claim in a payout cannot be cancelled; a run of this very batch may have taken it
          if (r.code !== 'claim_not_cancellable') this.unexpected(n, 'cancel', r, true);
          return r.code;
        }
        const to = r.value.status;
        if (to !== 'cancelled' && to !== 'clawed_back') this.s.fail('outcome', `op ${n}: cancelling claim ${claim.id} left it ${to}`, n);
        this.m.setClaimStatus(claim, to as MClaim['status']);
        return to;
      },
    };
  }

  clawback(rng: Prng, c: Candidates, n: number): Op | undefined {
    const claim = take(rng, c.paid);
    if (!claim) return undefined;
    this.busy(c, claim);
    const auditor = rng.pick(this.w.auditors);
    const node = this.node(rng);
    let r: CallResult<{ status: string }>;
    return {
      n, kind: 'clawback', what: `auditor claws back paid claim #${claim.n} (${claim.amountFen} fen) via ${node.name}`,
      exec: async () => {
        r = await call(() => node.get(ReviewService).clawBack(auditor, claim.id, `sim op ${n}: found wrong after payment`));
      },
      settle: () => {
        if (!r.ok) {
          // the bank may have returned its payout in this very batch: the claim is approved again
          if (r.code !== 'claim_not_paid') this.unexpected(n, 'clawback', r, true);
          return r.code;
        }
        if (r.value.status !== 'clawed_back') this.s.fail('outcome', `op ${n}: clawing back claim ${claim.id} left it ${r.value.status}`, n);
        this.m.setClaimStatus(claim, 'clawed_back');
        return 'clawed_back';
      },
    };
  }
}
