import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A voucher of the rush reserves its cap in the ledger slot its quota slot names (VoucherSlots). `vouchers.slot`
 * records which, so the trade-in that redeems it can turn that reservation into a claim in the same slot accounts
 * without the city's ledger lock (LedgerService.commitInSlot, issue 11): the trade-ins of one city no longer queue
 * on one row. Null for a voucher whose reservation went to the city's main account (issued before this migration,
 * or without quota slots); its trade-in takes the city lock, as before.
 */
export class VoucherReservationSlot1764000011500 implements MigrationInterface {
  name = 'VoucherReservationSlot1764000011500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vouchers ADD COLUMN slot smallint CHECK (slot IS NULL OR slot >= 1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vouchers DROP COLUMN slot`);
  }
}
