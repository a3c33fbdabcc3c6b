import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Readable } from 'node:stream';
import { AuditLogService } from '@huanxin/audit-log';
import { CurrentActor, Roles } from '@huanxin/auth';
import type { Actor } from '@huanxin/core';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import {
  AuditEntriesDto,
  AuditEntriesQueryDto,
  AuditPublicJwkDto,
  ConsistencyProofDto,
  ConsistencyProofQueryDto,
  InclusionProofDto,
  InclusionProofQueryDto,
  TreeHeadDto,
} from './audit.dto';

@ApiTags('audit')
@ApiAuth()
@Roles('auditor', 'admin')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditLogService) {}

  @Get('entries')
  @ApiOperation({ summary: 'Sealed audit entries by leaf index' })
  @ApiOkResponse({ type: AuditEntriesDto })
  @ApiProblems()
  entries(@CurrentActor() actor: Actor, @Query() q: AuditEntriesQueryDto): Promise<AuditEntriesDto> {
    return this.audit.entries(actor, q.from ?? 0, q.limit ?? 100);
  }

  @Get('tree-head')
  @ApiOperation({ summary: 'The latest signed tree head' })
  @ApiOkResponse({ type: TreeHeadDto })
  @ApiProblems()
  treeHead(@CurrentActor() actor: Actor): Promise<TreeHeadDto> {
    return this.audit.treeHead(actor);
  }

  @Get('proofs/inclusion')
  @ApiOperation({ summary: 'RFC 6962 inclusion proof of one entry in the tree of treeSize' })
  @ApiOkResponse({ type: InclusionProofDto })
  @ApiProblems(['not_found', 'treeSize is beyond the sealed log'])
  inclusion(@CurrentActor() actor: Actor, @Query() q: InclusionProofQueryDto): Promise<InclusionProofDto> {
    return this.audit.inclusionProof(actor, q.index, q.treeSize);
  }

  @Get('proofs/consistency')
  @ApiOperation({ summary: 'RFC 6962 consistency proof between two tree sizes' })
  @ApiOkResponse({ type: ConsistencyProofDto })
  @ApiProblems(['not_found', 'to is beyond the sealed log'])
  consistency(@CurrentActor() actor: Actor, @Query() q: ConsistencyProofQueryDto): Promise<ConsistencyProofDto> {
    return this.audit.consistencyProof(actor, q.from, q.to);
  }

  @Get('public-key')
  @ApiOperation({ summary: "The platform's tree-head signing key as a public JWK" })
  @ApiOkResponse({ type: AuditPublicJwkDto })
  @ApiProblems()
  publicKey(@CurrentActor() actor: Actor): AuditPublicJwkDto {
    return this.audit.publicKey(actor);
  }

  @Get('export.jsonl')
  @ApiOperation({
    summary: 'Every sealed entry up to the latest signed head, one {index, event, leafHash} JSON line each (streamed)',
    description: 'X-Audit-Tree-Size names the size exported. Check it offline: `npm run audit:verify -- export.jsonl --tree-head head.json --public-key key.json`.',
  })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ schema: { type: 'string' } })
  @ApiProblems()
  async export(@CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const { treeSize, chunks } = await this.audit.export(actor);
    res.setHeader('X-Audit-Tree-Size', String(treeSize));
    return new StreamableFile(Readable.from(chunks, { objectMode: false }), {
      type: 'application/x-ndjson; charset=utf-8',
      disposition: 'attachment; filename="audit-export.jsonl"',
    });
  }
}
