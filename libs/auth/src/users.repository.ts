import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { lookupHash, maskPhone, Role } from '@huanxin/core';
import type { Tx } from '@huanxin/database';
import { queryPrepared, TransactionService } from '@huanxin/database';

export interface User {
  id: string;
  role: Role;
  email: string | null;
  /** 138****0001: the number itself is not kept (only its keyed hash, for log-in) */
  phoneMasked: string | null;
  passwordHash: string;
  name: string;
  city: string | null;
  idNumberLast4: string | null;
  retailerId: string | null;
  disabledAt: Date | null;
  createdAt: Date;
}

export interface NewUser {
  id: string;
  role: Role;
  email?: string | null;
  phone?: string | null;
  passwordHash: string;
  name: string;
  city?: string | null;
  idNumberHash?: string | null;
  idNumberLast4?: string | null;
  retailerId?: string | null;
  /** the admin whose request made this staff account (null: a household, the bootstrap admin, the system) */
  createdBy?: string | null;
}

const COLUMNS = `id, role, email, phone_masked, password_hash, name, city, id_number_last4, retailer_id, disabled_at, created_at`;

function toUser(r: any): User {
  return {
    id: r.id, role: r.role, email: r.email, phoneMasked: r.phone_masked, passwordHash: r.password_hash, name: r.name, city: r.city,
    idNumberLast4: r.id_number_last4, retailerId: r.retailer_id, disabledAt: r.disabled_at, createdAt: r.created_at,
  };
}

/**
 * Users. A phone number is personal data: it is stored only as a keyed hash (log-in and uniqueness match
 * on it, unique constraint `users_phone_hash_key`) and masked for display; the clear number never reaches
 * the table.
 */
@Injectable()
export class UsersRepository {
  constructor(
    private readonly db: TransactionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  phoneHash(phone: string): string {
    return lookupHash(this.config.idHashSecret, 'phone', phone.trim());
  }

  async insert(tx: Tx, u: NewUser): Promise<void> {
    await tx.query(
      `INSERT INTO users (id, role, email, phone_hash, phone_masked, password_hash, name, city, id_number_hash, id_number_last4, retailer_id, created_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
      [u.id, u.role, u.email ?? null, u.phone ? this.phoneHash(u.phone) : null, u.phone ? maskPhone(u.phone.trim()) : null,
        u.passwordHash, u.name, u.city ?? null, u.idNumberHash ?? null, u.idNumberLast4 ?? null, u.retailerId ?? null, u.createdBy ?? null],
    );
  }

  /**
   * True when one of the two accounts made the other, directly or through accounts it made (`users.created_by`,
   * walked upwards from each; made by no one ends a walk). The four-eyes rule's "one person, two accounts".
   */
  async oneLineage(tx: Tx, a: string, b: string): Promise<boolean> {
    const [row] = await tx.query(
      `WITH RECURSIVE up (account, maker, depth) AS (
         SELECT id, created_by, 1 FROM users WHERE id IN ($1::uuid, $2::uuid) AND created_by IS NOT NULL
         UNION ALL
         SELECT up.account, u.created_by, up.depth + 1 FROM up JOIN users u ON u.id = up.maker
          WHERE u.created_by IS NOT NULL AND up.depth < 1000
       )
       SELECT EXISTS (SELECT 1 FROM up WHERE (account = $1::uuid AND maker = $2::uuid) OR (account = $2::uuid AND maker = $1::uuid)) AS related`,
      [a, b],
    );
    return row.related === true;
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const rows = await this.db.manager.query(
      `SELECT ${COLUMNS} FROM users WHERE phone_hash = $1 OR email = $2::citext LIMIT 1`,
      [this.phoneHash(username), username],
    );
    return rows[0] && toUser(rows[0]);
  }

  /** Staff accounts (everyone but households), by e-mail, after `afterEmail`: the programme office's list. */
  async staffPage(q: { role?: 'auditor' | 'admin' | 'retailer'; afterEmail?: string; limit: number }): Promise<User[]> {
    const rows = await this.db.manager.query(
      `SELECT ${COLUMNS} FROM users
        WHERE role <> 'household' AND ($1::text IS NULL OR role = $1) AND ($2::citext IS NULL OR email > $2::citext)
        ORDER BY email LIMIT $3`,
      [q.role ?? null, q.afterEmail ?? null, q.limit],
    );
    return rows.map(toUser);
  }

  /** `tx`: the transaction to read in, or `TransactionService.manager` for the pool, always said by the caller. */
  async findById(tx: Tx, id: string): Promise<User | undefined> {
    const rows = await tx.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] && toUser(rows[0]);
  }

  async findByIdNumberHash(tx: Tx, hash: string): Promise<User | undefined> {
    const rows = await tx.query(`SELECT ${COLUMNS} FROM users WHERE id_number_hash = $1`, [hash]);
    return rows[0] && toUser(rows[0]);
  }

  /** Whether `userId` is the holder of the ID number with this keyed hash (the clear number is never stored). */
  async holdsIdNumber(tx: Tx, userId: string, idNumberHash: string): Promise<boolean> {
    const rows = await queryPrepared(tx, `SELECT 1 FROM users WHERE id = $1 AND id_number_hash = $2`, [userId, idNumberHash]);
    return rows.length > 0;
  }

  /** A household as review may see it: the phone masked, the ID number's last four digits only. */
  async maskedContact(id: string): Promise<{ id: string; maskedPhone: string | null; idNumberLast4: string | null } | undefined> {
    const rows = await this.db.manager.query(`SELECT id, phone_masked, id_number_last4 FROM users WHERE id = $1`, [id]);
    return rows[0] && { id: rows[0].id, maskedPhone: rows[0].phone_masked, idNumberLast4: rows[0].id_number_last4 };
  }

  /** Staff names by user id (who rejected a claim, who decided an appeal), one query; unknown ids are absent. */
  async staffNames(ids: string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(ids)];
    if (!wanted.length) return new Map();
    const rows: { id: string; name: string }[] = await this.db.manager.query(
      `SELECT id, name FROM users WHERE id = ANY($1::uuid[]) AND role IN ('auditor', 'admin')`, [wanted]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** The household's city (where its vouchers come from and are redeemed); undefined when `id` is not a household. */
  async householdCity(id: string): Promise<string | undefined> {
    const rows: { city: string }[] = await this.db.manager.query(`SELECT city FROM users WHERE id = $1 AND role = 'household'`, [id]);
    return rows[0]?.city;
  }

  async anyAdmin(): Promise<boolean> {
    const rows = await this.db.manager.query(`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`);
    return rows.length > 0;
  }
}
