import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { lookupHash, maskPhone, Role } from '@huanxin/core';
import type { Tx } from '@huanxin/database';
import { TransactionService } from '@huanxin/database';

export interface UserRow {
  id: string;
  role: Role;
  email: string | null;
  /** 138****0001: the number itself is not kept (only its keyed hash, for log-in) */
  phone_masked: string | null;
  password_hash: string;
  name: string;
  city: string | null;
  id_number_last4: string | null;
  retailer_id: string | null;
  disabled_at: Date | null;
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
}

const COLUMNS = `id, role, email, phone_masked, password_hash, name, city, id_number_last4, retailer_id, disabled_at`;

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
      `INSERT INTO users (id, role, email, phone_hash, phone_masked, password_hash, name, city, id_number_hash, id_number_last4, retailer_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
      [u.id, u.role, u.email ?? null, u.phone ? this.phoneHash(u.phone) : null, u.phone ? maskPhone(u.phone.trim()) : null,
        u.passwordHash, u.name, u.city ?? null, u.idNumberHash ?? null, u.idNumberLast4 ?? null, u.retailerId ?? null],
    );
  }

  async findByUsername(username: string): Promise<UserRow | undefined> {
    const rows = await this.db.manager.query(
      `SELECT ${COLUMNS} FROM users WHERE phone_hash = $1 OR email = $2::citext LIMIT 1`,
      [this.phoneHash(username), username],
    );
    return rows[0];
  }

  /** Staff accounts (everyone but households), by e-mail, after `afterEmail`: the programme office's list. */
  async staffPage(q: { role?: 'auditor' | 'admin' | 'retailer'; afterEmail?: string; limit: number }): Promise<(UserRow & { created_at: Date })[]> {
    return this.db.manager.query(
      `SELECT ${COLUMNS}, created_at FROM users
        WHERE role <> 'household' AND ($1::text IS NULL OR role = $1) AND ($2::citext IS NULL OR email > $2::citext)
        ORDER BY email LIMIT $3`,
      [q.role ?? null, q.afterEmail ?? null, q.limit],
    );
  }

  async findById(id: string, tx?: Tx): Promise<UserRow | undefined> {
    const rows = await (tx ?? this.db.manager).query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0];
  }

  async findByIdNumberHash(hash: string, tx?: Tx): Promise<UserRow | undefined> {
    const rows = await (tx ?? this.db.manager).query(`SELECT ${COLUMNS} FROM users WHERE id_number_hash = $1`, [hash]);
    return rows[0];
  }

  async anyAdmin(): Promise<boolean> {
    const rows = await this.db.manager.query(`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`);
    return rows.length > 0;
  }
}
