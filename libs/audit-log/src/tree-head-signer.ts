import { Inject, Injectable } from '@nestjs/common';
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
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
}
