import { LedgerService } from '@huanxin/ledger';
import { VouchersService } from '@huanxin/vouchers';
import { startTestApp, TestApp } from './support/app';
import { randomResidentId, uniq } from './support/ids';
import { Scenario } from './support/scenario';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('trade-ins at the till (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  beforeAll(async () => {
    t = await startTestApp();
    s = await Scenario.create(t);
  });
  afterAll(() => t.close());

  async function ready(city = 'hangzhou') {
    const h = await s.household(city);
    const v = await s.voucher(h);
    return { h, v };
  }

  describe("POLICY.md's worked examples, end to end", () => {
    it.each([
      ['4K grade 1, 5,999.00', '4K', 1, 599900, 119980, false, 479920, 2000],
      ['4K grade 1, 5,000.00', '4K', 1, 500000, 100000, false, 400000, 2000],
      ['4K grade 2, 5,000.00', '4K', 2, 500000, 75000, false, 425000, 1500],
      ['4K grade 2, 3,299.00', '4K', 2, 329900, 49485, false, 280415, 1500],
      ['4K grade 2, 3,299.99 (half up)', '4K', 2, 329999, 49500, false, 280499, 1500],
      ['8K grade 1, 12,999.00 (capped)', '8K', 1, 1299900, 200000, true, 1099900, 2000],
      ['8K grade 2, 13,400.00 (capped)', '8K', 2, 1340000, 200000, true, 1140000, 1500],
    ] as const)('%s', async (_label, resolution, energyGrade, price, amount, capped, customer, rateBp) => {
      const { h, v } = await ready();
      const modelCode = await s.model({ resolution, energyGrade, referencePriceFen: price });
      const res = await s.tradeIn(await s.tradeInBody(h, v.code, { modelCode, salePriceFen: price }));
      if (res.status !== 201) console.log(res.body);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        claimId: expect.any(String), status: 'approved',
        subsidy: { baseFen: price, rateBp, capFen: 200000, amountFen: amount, capped },
        payableByCustomerFen: customer, policyVersion: 1, flags: [],
      });
    });

    it.each([
      ['4K grade 3', '4K', 3],
      ['FHD grade 1', 'FHD', 1],
    ] as const)('%s is model_not_eligible and changes nothing', async (_label, resolution, energyGrade) => {
      const { h, v } = await ready();
      const modelCode = await s.model({ resolution, energyGrade });
      const body = await s.tradeInBody(h, v.code, { modelCode });
      const before = await s.snapshot();
      const res = await s.tradeIn(body).expect(422);
      expect(res.body.code).toBe('model_not_eligible');
      expect(await s.snapshot()).toEqual(before);
    });
  });

  it('consumes the voucher and turns the reservation into the actual amount in the ledger', async () => {
    const ledger = t.app.get(LedgerService);
    const programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
    const { h, v } = await ready();
    const before = (await ledger.balances(programId, 'hangzhou'))[0];
    const res = await s.tradeIn(await s.tradeInBody(h, v.code, { salePriceFen: 599900 })).expect(201);
    const after = (await ledger.balances(programId, 'hangzhou'))[0];
    expect(after.reservedFen - before.reservedFen).toBe(-200000);
    expect(after.availableFen - before.availableFen).toBe(200000 - 119980);
    expect(after.payableFen - before.payableFen).toBe(119980);
    const [voucher] = await t.db.query(`SELECT status FROM vouchers WHERE code = $1`, [v.code]);
    expect(voucher.status).toBe('used');
    const [claim] = await t.db.query(`SELECT status, amount_fen FROM claims WHERE id = $1`, [res.body.claimId]);
    expect(claim).toEqual({ status: 'approved', amount_fen: '119980' });
    expect((await ledger.checkInvariants(programId)).balanced).toBe(true);
    const events = await t.db.query(`SELECT action, details FROM audit_events WHERE subject_id = $1`, [res.body.claimId]);
    expect(events.map((e: { action: string }) => e.action)).toEqual(['claim.submitted']);
    expect(JSON.stringify(events)).not.toContain(h.idNumber);
  });

  it('normalises serial and invoice numbers before comparing them', async () => {
    const a = await ready();
    const b = await ready();
    const serial = `sn-${uniq().toLowerCase()}`;
    await s.tradeIn(await s.tradeInBody(a.h, a.v.code, { serialNumber: serial })).expect(201);
    const res = await s.tradeIn(await s.tradeInBody(b.h, b.v.code, { serialNumber: `  ${serial.toUpperCase()} ` })).expect(409);
    expect(res.body.code).toBe('serial_already_subsidised');
    const pub = await t.http().get(`/v1/public/serials/${encodeURIComponent(serial)}`).expect(200);
    expect(pub.body).toEqual({ subsidised: true });
    const none = await t.http().get(`/v1/public/serials/NEVER-${uniq()}`).expect(200);
    expect(none.body).toEqual({ subsidised: false });
  });

  it('retries with the same Idempotency-Key return the same answer and one claim', async () => {
    const { h, v } = await ready();
    const body = await s.tradeInBody(h, v.code);
    const key = `till-${uniq()}`;
    const first = await s.tradeIn(body, key).expect(201);
    const again = await s.tradeIn(body, key).expect(201);
    expect(again.body).toEqual(first.body);
    const n = await t.db.query(`SELECT count(*)::int AS n FROM claims WHERE voucher_id = (SELECT id FROM vouchers WHERE code = $1)`, [v.code]);
    expect(n[0].n).toBe(1);
    const other = await s.tradeIn({ ...body, salePriceFen: 500000 }, key).expect(422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });

  it('requires an Idempotency-Key', async () => {
    const { h, v } = await ready();
    const res = await t.http().post('/v1/retailer/trade-ins').set(s.retailer.keyAuth).send(await s.tradeInBody(h, v.code)).expect(400);
    expect(res.body.code).toBe('idempotency_key_required');
  });

  it('works with a staff token as well as the POS key', async () => {
    const { h, v } = await ready();
    await s.tradeIn(await s.tradeInBody(h, v.code), undefined, s.retailer.auth).expect(201);
  });

  describe('every refusal has its code and changes nothing', () => {
    type Case = [string, number, (ctx: { h: Awaited<ReturnType<typeof ready>>['h']; v: { code: string }; body: Record<string, unknown> }) => Promise<Record<string, unknown> | void>];
    const cases: Case[] = [
      ['voucher_not_found', 404, async ({ body }) => ({ ...body, voucherCode: 'HX-2222-3333-4444' })],
      ['voucher_not_owned', 422, async ({ body }) => ({ ...body, householdIdNumber: randomResidentId() })],
      ['store_not_in_city', 422, async ({ body }) => ({ ...body, storeCode: s.storeIn('ningbo') })],
      ['model_not_found', 404, async ({ body }) => ({ ...body, modelCode: 'NO-SUCH-MODEL' })],
      ['model_not_eligible', 422, async ({ body }) => ({ ...body, modelCode: await s.model({ approved: false }) })],
      ['sale_in_future', 422, async ({ body }) => ({ ...body, soldAt: new Date(Date.now() + 86400e3).toISOString() })],
      ['sale_outside_program', 422, async ({ body }) => ({ ...body, soldAt: '2020-01-01T10:00:00+08:00' })],
      ['price_invalid', 422, async ({ body }) => ({ ...body, salePriceFen: 0 })],
      ['price_invalid', 422, async ({ body }) => ({ ...body, salePriceFen: 50000001 })],
      ['receipt_malformed', 400, async ({ body }) => ({ ...body, recyclingReceipt: 'not-a-jws' })],
      ['receipt_malformed', 400, async ({ body, h }) => ({ ...body, recyclingReceipt: await s.receipt(h.idNumber, { header: { typ: 'JWT' } }) })],
      ['receipt_signature_invalid', 422, async ({ body }) => {
        const [hd, pl, sig] = String(body.recyclingReceipt).split('.');
        const payload = JSON.parse(Buffer.from(pl, 'base64url').toString());
        return { ...body, recyclingReceipt: `${hd}.${b64({ ...payload, rid: `${payload.rid}-x` })}.${sig}` };
      }],
      ['receipt_signature_invalid', 422, async ({ body }) => {
        const [, pl] = String(body.recyclingReceipt).split('.');
        return { ...body, recyclingReceipt: `${b64({ alg: 'none', kid: s.recycler.kid, typ: 'hx-receipt+jwt' })}.${pl}.` };
      }],
      ['receipt_signature_invalid', 422, async ({ body }) => {
        const [, pl] = String(body.recyclingReceipt).split('.');
        return { ...body, recyclingReceipt: `${b64({ alg: 'HS256', kid: s.recycler.kid, typ: 'hx-receipt+jwt' })}.${pl}.c2lnbmF0dXJl` };
      }],
      ['receipt_signature_invalid', 422, async ({ body }) => {
        const [, pl, sig] = String(body.recyclingReceipt).split('.');
        return { ...body, recyclingReceipt: `${b64({ alg: 'RS256', kid: s.recycler.kid, typ: 'hx-receipt+jwt' })}.${pl}.${sig}` };
      }],
      ['receipt_key_unknown', 422, async ({ body, h }) => {
        const other = await s.newRecycler();
        return { ...body, recyclingReceipt: await s.receipt(h.idNumber, { recycler: { ...other, kid: 'never-registered' } }) };
      }],
      ['receipt_wrong_category', 422, async ({ body, h }) => ({ ...body, recyclingReceipt: await s.receipt(h.idNumber, { category: 'fridge' }) })],
      ['receipt_holder_mismatch', 422, async ({ body }) => ({ ...body, recyclingReceipt: await s.receipt(randomResidentId()) })],
      ['receipt_outside_window', 422, async ({ body, h }) => ({ ...body, recyclingReceipt: await s.receipt(h.idNumber, { issuedAt: new Date(Date.now() - 200 * 86400e3) }) })],
      ['receipt_outside_window', 422, async ({ body, h }) => ({ ...body, soldAt: new Date(Date.now() - 20 * 86400e3).toISOString(), recyclingReceipt: await s.receipt(h.idNumber, { issuedAt: new Date(Date.now() - 3600e3) }) })],
    ];

    it.each(cases)('%s (%d)', async (code, status, mutate) => {
      const { h, v } = await ready();
      const body = await s.tradeInBody(h, v.code);
      const bad = (await mutate({ h, v, body })) ?? body;
      const before = await s.snapshot();
      const res = await s.tradeIn(bad).expect(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe(code);
      expect(await s.snapshot()).toEqual(before);
      // the voucher is still good: the same trade-in, corrected, goes through
      await s.tradeIn(body).expect(201);
    });

    it('voucher_used', async () => {
      const { h, v } = await ready();
      await s.tradeIn(await s.tradeInBody(h, v.code)).expect(201);
      const second = await s.tradeInBody(h, v.code);
      const before = await s.snapshot();
      const res = await s.tradeIn(second).expect(409);
      expect(res.body.code).toBe('voucher_used');
      expect(await s.snapshot()).toEqual(before);
    });

    it('voucher_expired', async () => {
      const { h, v } = await ready();
      await t.db.query(`UPDATE vouchers SET expires_at = now() - interval '1 second', issued_at = now() - interval '31 days' WHERE code = $1`, [v.code]);
      const body = await s.tradeInBody(h, v.code);
      const before = await s.snapshot();
      const res = await s.tradeIn(body).expect(422);
      expect(res.body.code).toBe('voucher_expired');
      expect(await s.snapshot()).toEqual(before);
    });

    it('serial_already_subsidised, invoice_duplicate and receipt_already_used', async () => {
      const a = await ready();
      const first = await s.tradeInBody(a.h, a.v.code);
      await s.tradeIn(first).expect(201);
      for (const [code, patch] of [
        ['serial_already_subsidised', { serialNumber: first.serialNumber }],
        ['invoice_duplicate', { invoiceNumber: first.invoiceNumber }],
      ] as const) {
        const b = await ready();
        const body = await s.tradeInBody(b.h, b.v.code, patch);
        const before = await s.snapshot();
        const res = await s.tradeIn(body).expect(409);
        expect(res.body.code).toBe(code);
        expect(await s.snapshot()).toEqual(before);
      }
      // the same receipt presented for a second sale (a household trading one old set in twice)
      const again = await ready();
      const [, pl] = String(first.recyclingReceipt).split('.');
      const rid = JSON.parse(Buffer.from(pl, 'base64url').toString()).rid;
      const body = await s.tradeInBody(again.h, again.v.code, { recyclingReceipt: await s.receipt(again.h.idNumber, { rid }) });
      const before = await s.snapshot();
      const res = await s.tradeIn(body).expect(409);
      expect(res.body.code).toBe('receipt_already_used');
      expect(await s.snapshot()).toEqual(before);
    });

    it('retailer_not_active', async () => {
      const { h, v } = await ready();
      const body = await s.tradeInBody(h, v.code);
      await t.http().post(`/v1/admin/retailers/${s.retailer.id}/suspend`).set(s.admin.auth).send({ reason: 'audit' }).expect(200);
      try {
        const before = await s.snapshot();
        const res = await s.tradeIn(body).expect(422);
        expect(res.body.code).toBe('retailer_not_active');
        expect(await s.snapshot()).toEqual(before);
      } finally {
        await t.http().post(`/v1/admin/retailers/${s.retailer.id}/reinstate`).set(s.admin.auth).send({ reason: 'cleared' }).expect(200);
      }
    });

    it('receipt_key_revoked: compromised keys invalidate every receipt, retired keys only later ones', async () => {
      const recycler = await s.newRecycler();
      const { h, v } = await ready();
      const early = await s.receipt(h.idNumber, { recycler, issuedAt: new Date(Date.now() - 2 * 86400e3) });
      await t.http().post(`/v1/admin/recyclers/${recycler.id}/keys/${recycler.kid}/revoke`).set(s.admin.auth).send({ reason: 'retired' }).expect(200);
      const late = await s.receipt(h.idNumber, { recycler, issuedAt: new Date(Date.now() + 60e3) });
      const lateBody = await s.tradeInBody(h, v.code, { recyclingReceipt: late, soldAt: new Date().toISOString() });
      const before = await s.snapshot();
      const res = await s.tradeIn(lateBody).expect(422);
      expect(res.body.code).toBe('receipt_key_revoked');
      expect(await s.snapshot()).toEqual(before);
      await s.tradeIn(await s.tradeInBody(h, v.code, { recyclingReceipt: early })).expect(201);

      const compromised = await s.newRecycler();
      const b = await ready();
      const signedBefore = await s.receipt(b.h.idNumber, { recycler: compromised, issuedAt: new Date(Date.now() - 2 * 86400e3) });
      await t.http().post(`/v1/admin/recyclers/${compromised.id}/keys/${compromised.kid}/revoke`).set(s.admin.auth).send({ reason: 'compromised' }).expect(200);
      const res2 = await s.tradeIn(await s.tradeInBody(b.h, b.v.code, { recyclingReceipt: signedBefore })).expect(422);
      expect(res2.body.code).toBe('receipt_key_revoked');
    });

    it('recycler_not_certified: a receipt signed after decertification', async () => {
      const recycler = await s.newRecycler();
      const { h, v } = await ready();
      await t.http().post(`/v1/admin/recyclers/${recycler.id}/decertify`).set(s.admin.auth).send({ reason: 'licence lapsed' }).expect(200);
      const receipt = await s.receipt(h.idNumber, { recycler, issuedAt: new Date(Date.now() + 30e3) });
      const res = await s.tradeIn(await s.tradeInBody(h, v.code, { recyclingReceipt: receipt, soldAt: new Date().toISOString() })).expect(422);
      expect(res.body.code).toBe('recycler_not_certified');
    });

    it('receipt_revoked: the recycler revokes a receipt with its API key', async () => {
      const { h, v } = await ready();
      const rid = `R-${uniq()}`;
      const receipt = await s.receipt(h.idNumber, { rid });
      const rev = await t.http().post(`/v1/recycler/receipts/${rid}/revoke`).set(s.recycler.keyAuth).send({ reason: 'wrong household' }).expect(200);
      expect(rev.body).toMatchObject({ recyclerId: s.recycler.id, rid, reason: 'wrong household' });
      const body = await s.tradeInBody(h, v.code, { recyclingReceipt: receipt });
      const before = await s.snapshot();
      const res = await s.tradeIn(body).expect(422);
      expect(res.body.code).toBe('receipt_revoked');
      expect(await s.snapshot()).toEqual(before);
    });

    it('validation_failed lists the fields and rejects unknown ones', async () => {
      const { h, v } = await ready();
      const body = await s.tradeInBody(h, v.code);
      const res = await s.tradeIn({ ...body, salePriceFen: 5999.5, soldAt: 'yesterday', householdIdNumber: '330106199003070015', discount: 1 }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['discount', 'householdIdNumber', 'salePriceFen', 'soldAt']);
    });
  });

  describe('risk flags send claims to review', () => {
    it('price far above the reference price', async () => {
      const { h, v } = await ready();
      const modelCode = await s.model({ referencePriceFen: 400000 });
      const res = await s.tradeIn(await s.tradeInBody(h, v.code, { modelCode, salePriceFen: 600000 })).expect(201);
      expect(res.body.status).toBe('pending_review');
      expect(res.body.flags).toEqual(['price_above_reference']);
    });

    it('a receipt issued after the sale is valid but flagged', async () => {
      const { h, v } = await ready();
      const soldAt = new Date(Date.now() - 3 * 86400e3);
      const receipt = await s.receipt(h.idNumber, { issuedAt: new Date(Date.now() - 86400e3) });
      const res = await s.tradeIn(await s.tradeInBody(h, v.code, { soldAt: soldAt.toISOString(), recyclingReceipt: receipt })).expect(201);
      expect(res.body.status).toBe('pending_review');
      expect(res.body.flags).toEqual(['receipt_after_sale']);
    });

    it('a serial that failed before is flagged prior_rejections', async () => {
      const a = await ready();
      const serial = `SN-${uniq()}`;
      await s.tradeIn(await s.tradeInBody(a.h, a.v.code, { serialNumber: serial, salePriceFen: 0 })).expect(422);
      const res = await s.tradeIn(await s.tradeInBody(a.h, a.v.code, { serialNumber: serial })).expect(201);
      expect(res.body.flags).toEqual(['prior_rejections']);
      expect(res.body.status).toBe('pending_review');
    });

    it('more than storeBurstPerHour trade-ins from one store in an hour', async () => {
      const s4 = await Scenario.create(t, { rules: { storeBurstPerHour: 2 } });
      const flags: string[][] = [];
      for (let i = 0; i < 3; i++) {
        const h = await s4.household();
        const v = await s4.voucher(h);
        flags.push((await s4.tradeIn(await s4.tradeInBody(h, v.code)).expect(201)).body.flags);
      }
      expect(flags).toEqual([[], [], ['store_burst']]);
    });

    it("a retailer's first claims always go to review, pending money stays reserved", async () => {
      const s2 = await Scenario.create(t, { rules: { firstClaimsReviewed: 2 } });
      const ledger = t.app.get(LedgerService);
      const programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s2.programCode]))[0].id;
      const statuses: string[] = [];
      for (let i = 0; i < 3; i++) {
        const h = await s2.household();
        const v = await s2.voucher(h);
        statuses.push((await s2.tradeIn(await s2.tradeInBody(h, v.code, { salePriceFen: 500000 })).expect(201)).body.status);
      }
      expect(statuses).toEqual(['pending_review', 'pending_review', 'approved']);
      const [b] = await ledger.balances(programId, 'hangzhou');
      expect(b.reservedFen).toBe(2 * 100000);
      expect(b.payableFen).toBe(100000);
      expect((await ledger.checkInvariants(programId)).balanced).toBe(true);
    });
  });

  describe('claims for retailers and households', () => {
    it('lists and shows only its own claims; another retailer gets 404', async () => {
      const { h, v } = await ready();
      const res = await s.tradeIn(await s.tradeInBody(h, v.code)).expect(201);
      const mine = await t.http().get(`/v1/retailer/claims/${res.body.claimId}`).set(s.retailer.keyAuth).expect(200);
      expect(mine.body).toMatchObject({ id: res.body.claimId, status: 'approved', voucherCode: v.code });
      const other = await t.make.retailer();
      const notFound = await t.http().get(`/v1/retailer/claims/${res.body.claimId}`).set(other.keyAuth).expect(404);
      expect(notFound.body.code).toBe('not_found');
      const otherList = await t.http().get('/v1/retailer/claims').set(other.keyAuth).expect(200);
      expect(otherList.body).toEqual({ items: [], nextCursor: null });
      const household = await t.http().get('/v1/household/claims').set(h.auth).expect(200);
      expect(household.body.items.map((c: { id: string }) => c.id)).toEqual([res.body.claimId]);
      const vouchers = await t.http().get('/v1/household/vouchers').set(h.auth).expect(200);
      expect(vouchers.body.items).toEqual([expect.objectContaining({ code: v.code, status: 'used' })]);
    });

    it('pages through claims with a keyset cursor', async () => {
      const s3 = await Scenario.create(t);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const h = await s3.household();
        const v = await s3.voucher(h);
        ids.push((await s3.tradeIn(await s3.tradeInBody(h, v.code)).expect(201)).body.claimId);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await t.http().get('/v1/retailer/claims')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(s3.retailer.keyAuth).expect(200);
        seen.push(...page.body.items.map((c) => c.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
    });

    it('cancels before payout: the claim is cancelled and its money goes back to the pool', async () => {
      const ledger = t.app.get(LedgerService);
      const programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
      const { h, v } = await ready();
      const res = await s.tradeIn(await s.tradeInBody(h, v.code)).expect(201);
      const before = (await ledger.balances(programId, 'hangzhou'))[0];
      const other = await t.make.retailer();
      await t.http().post(`/v1/retailer/claims/${res.body.claimId}/cancel`).set(other.keyAuth).send({ reason: 'x' }).expect(404);
      const cancelled = await t.http().post(`/v1/retailer/claims/${res.body.claimId}/cancel`).set(s.retailer.keyAuth).send({ reason: 'TV returned' }).expect(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: 'TV returned' });
      const after = (await ledger.balances(programId, 'hangzhou'))[0];
      expect(after.payableFen - before.payableFen).toBe(-res.body.subsidy.amountFen);
      expect(after.availableFen - before.availableFen).toBe(res.body.subsidy.amountFen);
      const again = await t.http().post(`/v1/retailer/claims/${res.body.claimId}/cancel`).set(s.retailer.keyAuth).send({ reason: 'again' }).expect(409);
      expect(again.body.code).toBe('claim_not_cancellable');
      // the household may take a new voucher: a cancelled claim does not count against its limit
      await s.voucher(h);
      expect((await ledger.checkInvariants(programId)).balanced).toBe(true);
    });

    it('after payout, a cancellation becomes a clawback receivable', async () => {
      const ledger = t.app.get(LedgerService);
      const programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
      const { h, v } = await ready();
      const res = await s.tradeIn(await s.tradeInBody(h, v.code)).expect(201);
      const amount = res.body.subsidy.amountFen;
      // settle it as a payout run would (issue 5 builds the runs): payable → paid
      await t.db.transaction(async (tx) => {
        await ledger['post'](tx, { programId, city: 'hangzhou', kind: 'pay', reference: res.body.claimId, entries: [
          { account: { kind: 'payable', retailerId: s.retailer.id }, amountFen: -amount }, { account: 'paid', amountFen: amount }] });
        // along the state machine, as a run does: approved → in_payout → paid
        await tx.query(`UPDATE claims SET status = 'in_payout' WHERE id = $1`, [res.body.claimId]);
        await tx.query(`UPDATE claims SET status = 'paid' WHERE id = $1`, [res.body.claimId]);
      });
      const before = (await ledger.balances(programId, 'hangzhou'))[0];
      const out = await t.http().post(`/v1/retailer/claims/${res.body.claimId}/cancel`).set(s.retailer.keyAuth).send({ reason: 'returned after payout' }).expect(200);
      expect(out.body.status).toBe('clawed_back');
      const after = (await ledger.balances(programId, 'hangzhou'))[0];
      expect(after.receivableFen - before.receivableFen).toBe(amount);
      expect(after.availableFen - before.availableFen).toBe(amount);
      expect((await ledger.checkInvariants(programId)).balanced).toBe(true);
    });
  });

  it('the expiry job gives an expired voucher its reservation back', async () => {
    const ledger = t.app.get(LedgerService);
    const programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
    const { v } = await ready('ningbo');
    const before = (await ledger.balances(programId, 'ningbo'))[0];
    await t.db.query(`UPDATE vouchers SET expires_at = now() - interval '1 second', issued_at = now() - interval '31 days' WHERE code = $1`, [v.code]);
    let expired = 0;
    for (let n = await t.app.get(VouchersService).expireBatch(100); n > 0; n = await t.app.get(VouchersService).expireBatch(100)) expired += n;
    expect(expired).toBeGreaterThanOrEqual(1);
    const [row] = await t.db.query(`SELECT status FROM vouchers WHERE code = $1`, [v.code]);
    expect(row.status).toBe('expired');
    const after = (await ledger.balances(programId, 'ningbo'))[0];
    expect(after.reservedFen - before.reservedFen).toBe(-200000);
    expect(after.availableFen - before.availableFen).toBe(200000);
    expect((await ledger.checkInvariants(programId)).balanced).toBe(true);
    const events = await t.db.query(`SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY id`, [v.code]);
    expect(events.map((e: { action: string }) => e.action)).toEqual(['voucher.issued', 'voucher.expired']);
  });
});
