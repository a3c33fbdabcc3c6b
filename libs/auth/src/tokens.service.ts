import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Clock, DomainError, newId, Role } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { AuditService } from '@huanxin/audit-log';
import { randomToken, sha256Hex } from './secrets';
import type { User } from './users.repository';
import { RevokedSessionsService } from './revoked-sessions.service';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  role: Role;
}

export interface AccessClaims {
  sub: string;
  role: Role;
  rid?: string;
  city?: string;
  /** the refresh-token family of this sign-in, so logout can end exactly it */
  fam: string;
}

/**
 * Short JWT access tokens and rotating refresh tokens. A refresh token is usable once; presenting a used
 * one means it was stolen or replayed, so the whole family (every token descended from that login) dies.
 */
@Injectable()
export class TokensService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly db: TransactionService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly revokedSessions: RevokedSessionsService,
  ) {}

  async issue(tx: Tx, user: User, familyId = newId()): Promise<TokenPair> {
    const claims: AccessClaims = { sub: user.id, role: user.role, fam: familyId };
    if (user.retailerId) claims.rid = user.retailerId;
    if (user.city) claims.city = user.city;
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: this.config.jwtAccessTtlSeconds });
    const refreshToken = `${newId()}.${randomToken()}`;
    const expiresAt = new Date(this.clock.now().getTime() + this.config.refreshTtlSeconds * 1000);
    await tx.query(
      `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at) VALUES ($1,$2,$3,$4,$5)`,
      [newId(), user.id, familyId, sha256Hex(refreshToken), expiresAt],
    );
    return { accessToken, refreshToken, expiresIn: this.config.jwtAccessTtlSeconds, role: user.role };
  }

  async rotate(refreshToken: string, loadUser: (id: string, tx: Tx) => Promise<User | undefined>): Promise<TokenPair> {
    const hash = sha256Hex(refreshToken);
    const outcome = await this.db.run(async (tx) => {
      // Lock the row: two concurrent refreshes with one token must not both succeed.
      const rows = await tx.query(
        `SELECT id, user_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
        [hash],
      );
      const row = rows[0];
      if (!row || row.revoked_at || row.expires_at <= this.clock.now()) return { error: 'invalid' as const };
      if (row.used_at) {
        await tx.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [row.family_id]);
        await this.audit.append(tx, { kind: 'user', id: row.user_id }, {
          action: 'auth.refresh_reuse_detected', subjectType: 'user', subjectId: row.user_id, details: { familyId: row.family_id },
        });
        return { error: 'reused' as const, familyId: row.family_id as string };
      }
      const user = await loadUser(row.user_id, tx);
      if (!user || user.disabledAt) return { error: 'invalid' as const };
      await tx.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [row.id]);
      return { pair: await this.issue(tx, user, row.family_id) };
    });
    // the stolen family's access tokens stop here at once, and on every other process at its next poll
    if ('familyId' in outcome && outcome.familyId) this.revokedSessions.markRevoked(outcome.familyId);
    if ('error' in outcome) throw new DomainError('unauthorized', 'The refresh token is not valid');
    return outcome.pair;
  }

  /** The sign-in a refresh token belongs to (used or not), if it is still live: for a web session's sign-out. */
  async familyOf(tx: Tx, refreshToken: string): Promise<{ userId: string; familyId: string } | undefined> {
    const [row] = await tx.query(
      `SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
      [sha256Hex(refreshToken)],
    );
    return row ? { userId: row.user_id, familyId: row.family_id } : undefined;
  }

  async revokeFamily(tx: Tx, userId: string, familyId: string): Promise<number> {
    const res = await tx.query(
      `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND family_id = $2 AND revoked_at IS NULL`,
      [userId, familyId],
    );
    return res[1] ?? 0;
  }
}
