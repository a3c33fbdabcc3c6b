import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, DomainError, toShanghaiIso, requireAccess } from '@huanxin/core';
import { isUniqueViolation, TransactionService } from '@huanxin/database';
import { jwkThumbprint, parseEd25519PublicJwk } from './jwk';
import { recyclerNotFound } from './programme-office';
import { RecyclerKeysRepository } from './recycler-keys.repository';
import { RecyclersRepository } from './recyclers.repository';
import { recyclerKeyView } from './recycling-views';
import type { KeyRevokeReason, RecyclerKey, RecyclerKeyView, RevokedRecyclerKey } from './recycling.types';

export const KID_RE = /^[A-Za-z0-9._-]{1,100}$/;

/** Registration and revocation of the Ed25519 keys recyclers sign receipts with. */
@Injectable()
export class RecyclerKeysService {
  constructor(
    private readonly db: TransactionService,
    private readonly recyclers: RecyclersRepository,
    private readonly keys: RecyclerKeysRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Registers a public key under a kid new for this recycler (409 `duplicate` otherwise). Anything but an
   * Ed25519 public JWK is `validation_failed`; a private key is refused before anything is stored and is
   * never repeated in the answer. Only `{kty, crv, x}` is kept.
   */
  async register(actor: Actor, recyclerId: string, input: { kid: string; publicKeyJwk: unknown }): Promise<RecyclerKeyView> {
    requireAccess(actor, 'programme.manage');
    if (!KID_RE.test(input.kid)) {
      throw new DomainError('validation_failed', 'The request has invalid fields', [{ field: 'kid', message: 'kid must be 1-100 characters of A-Z a-z 0-9 . _ -' }]);
    }
    const publicKeyJwk = await parseEd25519PublicJwk(input.publicKeyJwk, 'publicKeyJwk', input.kid);
    const thumbprint = await jwkThumbprint(publicKeyJwk);
    const at = this.clock.now();
    try {
      await this.db.run(async (tx) => {
        if (!(await this.recyclers.lockById(tx, recyclerId, 'share'))) throw recyclerNotFound();
        await this.keys.insert(tx, { recyclerId, kid: input.kid, publicKeyJwk, at });
        await this.audit.append(tx, actor, {
          action: 'recycler.key_registered', subjectType: 'recycler', subjectId: recyclerId,
          details: { kid: input.kid, jwkThumbprint: thumbprint },
        });
      });
    } catch (err) {
      if (isUniqueViolation(err, 'recycler_keys_pkey')) throw new DomainError('duplicate', `This recycler already has a key with kid ${input.kid}`);
      throw err;
    }
    const key: RecyclerKey = { recyclerId, kid: input.kid, publicKeyJwk, createdAt: at, revokedAt: null, revokeReason: null };
    return recyclerKeyView(key);
  }

  /**
   * Revokes a key. A key is revoked once: a second revocation is 409 `conflict` (in particular a compromised
   * key can never be downgraded to retired, which would make its back-dated receipts valid again). The one
   * exception is raising a retired key to compromised, when a leak is found after retirement: the reason
   * becomes compromised, `revokedAt` keeps the original time, and the change is audited.
   */
  async revoke(actor: Actor, recyclerId: string, kid: string, reason: KeyRevokeReason): Promise<RevokedRecyclerKey> {
    requireAccess(actor, 'programme.manage');
    return this.db.run(async (tx) => {
      if (!(await this.recyclers.lockById(tx, recyclerId, 'share'))) throw recyclerNotFound();
      const key = await this.keys.lock(tx, recyclerId, kid);
      if (!key) throw new DomainError('not_found', 'This recycler has no key with this kid');
      const escalation = key.revokeReason === 'retired' && reason === 'compromised';
      if (key.revokedAt && !escalation) {
        throw new DomainError('conflict', `This key is already revoked (${key.revokeReason})`);
      }
      const at = this.clock.now();
      await this.keys.revoke(tx, recyclerId, kid, reason, at);
      await this.audit.append(tx, actor, {
        action: 'recycler.key_revoked', subjectType: 'recycler', subjectId: recyclerId,
        details: { kid, reason, ...(escalation ? { previousReason: 'retired' } : {}) },
      });
      return { kid, revokedAt: toShanghaiIso(key.revokedAt ?? at), reason };
    });
  }
}
