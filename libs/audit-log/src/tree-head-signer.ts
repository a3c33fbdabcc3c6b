import { Inject, Injectable } from '@nestjs/common';
import { createPrivateKey, createPublicKey, KeyObject, sign } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { AuditPublicJwk, publicJwkOf, SignedTreeHead, signTreeHead, TreeHead } from './tree-head';

/**
 * The platform's tree-head key (AUDIT_SIGNING_KEY, validated by the config at boot). The private half never
 * leaves this class: nothing returns or logs it, and the audit log only ever holds its public thumbprint.
 */
@Injectable()
export class TreeHeadSigner {
  private readonly privateKey: KeyObject;
  readonly publicJwk: AuditPublicJwk;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.privateKey = createPrivateKey(config.auditSigningKey);
    this.publicJwk = publicJwkOf(createPublicKey(this.privateKey));
  }

  get keyId(): string {
    return this.publicJwk.kid;
  }

  sign(head: TreeHead): SignedTreeHead {
    return signTreeHead(head, this.privateKey, this.keyId);
  }

  /**
   * A compact JWS (RFC 7515, `alg: EdDSA`, `kid` = the key's thumbprint) over `payload`'s JSON, signed by the same key:
   * the platform's signed statements besides tree heads (a receipt's registration timestamp). Anyone verifies it with
   * GET /v1/audit/public-key.
   */
  signCompact(payload: Record<string, unknown>, typ: string): string {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
    const input = `${b64(JSON.stringify({ alg: 'EdDSA', kid: this.keyId, typ }))}.${b64(JSON.stringify(payload))}`;
    return `${input}.${sign(null, Buffer.from(input, 'ascii'), this.privateKey).toString('base64url')}`;
  }
}
