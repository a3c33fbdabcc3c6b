import { MigrationInterface, QueryRunner } from 'typeorm';
import { loadConfig } from '@huanxin/config';
import { lookupHash, maskPhone, sealField } from '@huanxin/core';

/**
 * No personal data in clear in any table (DESIGN.md "Non-functional promises"):
 *
 * - `users.phone` becomes `phone_hash` (HMAC-SHA256 under ID_HASH_SECRET, purpose "phone": log-in and
 *   uniqueness match on it) and `phone_masked` (138****0001, what review and exports show). Nothing needs
 *   the full number back, so it is not kept at all.
 * - `retailers.bank.accountNumber` becomes `accountNumberSealed` (AES-256-GCM under DATA_ENCRYPTION_KEY,
 *   bound to the retailer's id) plus `accountNumberLast4`.
 * - `idempotency_keys` answers that carried credentials (tokens, API keys) are deleted; from now on they
 *   are never stored.
 * - `refresh_tokens_revoked`: each API process asks every few seconds which sign-ins ended.
 *
 * Rows that exist already (a demo database kept between runs) are converted here with the keys from the
 * configuration, so the migration needs the same secrets as the app — which it runs beside.
 */
export class Hardening1764000005000 implements MigrationInterface {
  name = 'Hardening1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN phone_hash text, ADD COLUMN phone_masked text`);
    const users: { id: string; phone: string }[] = await q.query(`SELECT id, phone FROM users WHERE phone IS NOT NULL`);
    const retailers: { id: string; bank: Record<string, string> }[] = await q.query(
      `SELECT id, bank FROM retailers WHERE bank ? 'accountNumber'`,
    );
    if (users.length || retailers.length) {
      const config = loadConfig();
      for (const u of users) {
        await q.query(`UPDATE users SET phone_hash = $2, phone_masked = $3 WHERE id = $1`, [
          u.id, lookupHash(config.idHashSecret, 'phone', u.phone), maskPhone(u.phone),
        ]);
      }
      for (const r of retailers) {
        const { accountNumber, ...rest } = r.bank;
        const bank = { ...rest, accountNumberLast4: accountNumber.slice(-4), accountNumberSealed: sealField(config.dataEncryptionKey, accountNumber, `retailers.bank:${r.id}`) };
        await q.query(`UPDATE retailers SET bank = $2 WHERE id = $1`, [r.id, bank]);
      }
    }
    await q.query(`ALTER TABLE users DROP COLUMN phone`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_phone_hash_key UNIQUE (phone_hash)`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_username CHECK (email IS NOT NULL OR phone_hash IS NOT NULL)`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_household_fields
      CHECK (role <> 'household' OR (phone_hash IS NOT NULL AND phone_masked IS NOT NULL AND id_number_hash IS NOT NULL AND city IS NOT NULL))`);
    await q.query(`ALTER TABLE retailers ADD CONSTRAINT retailers_bank_sealed CHECK (bank IS NULL OR NOT bank ? 'accountNumber')`);
    await q.query(`DELETE FROM idempotency_keys WHERE jsonb_typeof(response_body) = 'object'
      AND response_body ?| array['accessToken', 'refreshToken', 'key']`);
    await q.query(`CREATE INDEX refresh_tokens_revoked ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL`);
  }

  async down(): Promise<void> {
    throw new Error('Hardening cannot be undone: the clear phone numbers and bank accounts are gone by design');
  }
}
