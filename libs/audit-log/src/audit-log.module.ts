import { Global, Module } from '@nestjs/common';
import { AuditLogRepository } from './audit-log.repository';
import { AuditLogService } from './audit-log.service';
import { AuditSealer } from './audit-sealer.service';
import { AuditService } from './audit.service';
import { TreeHeadSigner } from './tree-head-signer';

@Global()
@Module({
  providers: [AuditService, AuditLogRepository, TreeHeadSigner, AuditSealer, AuditLogService],
  exports: [AuditService, AuditSealer, AuditLogService, TreeHeadSigner],
})
export class AuditLogModule {}
