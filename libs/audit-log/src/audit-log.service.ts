import { Injectable } from '@nestjs/common';
import { Actor, DomainError, requireAccess } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { AuditEntry, auditLeafHash, eventFromRow } from './audit-event';
import { AuditLogRepository, SealedEventRow } from './audit-log.repository';
import { AuditSealer } from './audit-sealer.service';
import { canonicalJsonFast } from './fast-canonical';
import { consistencyProof, inclusionProof, toHex } from './merkle';
import type { AuditPublicJwk, SignedTreeHead } from './tree-head';
import { TreeHeadSigner } from './tree-head-signer';

export interface InclusionProofAnswer {
  index: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
}

export interface ConsistencyProofAnswer {
  from: number;
  to: number;
  proof: string[];
}

export interface AuditExport {
  /** the latest signed head's size: the export holds entries [0, treeSize) */
  treeSize: number;
  /** JSON lines, several per chunk, each ending in a newline */
  chunks: AsyncIterable<string>;
}

const EXPORT_PAGE = 2000;

function outOfLog(field: string, size: number, sealed: number): DomainError {
  return new DomainError('not_found', `${field} ${size} is beyond the log: ${sealed} entries are sealed`);
}

/**
 * The read side of the audit log (API.md "Audit log"). Every proof is computed from the stored perfect-subtree
 * nodes with one batched read.
 *
 * Decisions:
 * - Entries and the export serve the SEALED leaf hash (the stored level-0 node: what the tree and every signed
 *   head commit to) beside the event as the row holds it now. An honest log has leafHash = SHA-256(0x00 ‖
 *   JCS(event)); a row changed after sealing does not, and the offline verifier names that index.
 * - An inclusion proof's leafHash is recomputed from the event row as it is NOW, and the path comes from the
 *   stored nodes. So the proof verifies against a signed root exactly when the row is still what was sealed; a
 *   changed row gives a proof that fails, exposing its index, instead of a valid proof of the old hash.
 * - Proofs may be asked for any tree size up to the sealed size, not only sizes with a signed head (every
 *   batch signs one, so the sizes a client holds heads for are all allowed). Defaults: the latest head's size.
 *   A size beyond the sealed log is 404 not_found; index ≥ treeSize and from > to are 400 validation_failed.
 * - Consistency from 0 (and from = to) answers an empty proof: every tree extends the empty tree, so there is
 *   nothing to prove. verifyConsistency refuses from = 0, so a client holding the empty head skips the check.
 * - The empty log has a signed head too: treeSize 0, rootHash SHA-256("") (e3b0c442…), stored once when first
 *   asked for (or by the sealer's first idle run), so it is not re-signed on every request.
 * - Every hash (leafHash, rootHash, each proof element) is exactly 32 bytes as 64 lower-case hex digits; an
 *   inclusion path has at most ⌈log2 treeSize⌉ elements and a consistency proof at most about twice that.
 *   verifyInclusion/verifyConsistency refuse any element of another length instead of hashing it.
 */
@Injectable()
export class AuditLogService {
  private knownSealed = 0;

  constructor(
    private readonly db: TransactionService,
    private readonly repo: AuditLogRepository,
    private readonly sealer: AuditSealer,
    private readonly signer: TreeHeadSigner,
  ) {}

  async entries(actor: Actor, from: number, limit: number): Promise<{ items: AuditEntry[] }> {
    requireAccess(actor, 'auditlog.read');
    const { treeSize } = await this.repo.sealState(this.db.manager);
    const rows = from >= treeSize ? [] : await this.repo.sealedEntries(this.db.manager, from, limit, treeSize);
    return { items: rows.map(toEntry) };
  }

  /** The latest signed head; the empty tree's head (signed on first request) while nothing is sealed. */
  async treeHead(actor: Actor): Promise<SignedTreeHead> {
    requireAccess(actor, 'auditlog.read');
    return (await this.repo.latestHead(this.db.manager)) ?? this.sealer.ensureEmptyHead();
  }

  publicKey(actor: Actor): AuditPublicJwk {
    requireAccess(actor, 'auditlog.read');
    return { ...this.signer.publicJwk };
  }

  async inclusionProof(actor: Actor, index: number, treeSize?: number): Promise<InclusionProofAnswer> {
    requireAccess(actor, 'auditlog.read');
    const size = treeSize ?? (await this.treeHead(actor)).treeSize;
    await this.assertWithinLog('treeSize', size);
    if (index >= size) {
      throw new DomainError('validation_failed', `index ${index} is not below treeSize ${size}`, [
        { field: 'index', message: `index must be less than treeSize (${size})` },
      ]);
    }
    // two independent reads, side by side on two pool connections
    const [row, auditPath] = await Promise.all([
      this.repo.sealedEvent(this.db.manager, index),
      inclusionProof(this.repo.nodeReader(this.db.manager), index, size),
    ]);
    if (!row) throw new DomainError('not_found', `The event sealed at index ${index} is missing`);
    return { index, treeSize: size, leafHash: toHex(auditLeafHash(eventFromRow(row))), auditPath };
  }

  async consistencyProof(actor: Actor, from: number, to?: number): Promise<ConsistencyProofAnswer> {
    requireAccess(actor, 'auditlog.read');
    const size = to ?? (await this.treeHead(actor)).treeSize;
    await this.assertWithinLog('to', size);
    if (from > size) {
      throw new DomainError('validation_failed', `from ${from} is larger than to ${size}`, [
        { field: 'from', message: `from must not exceed to (${size})` },
      ]);
    }
    return { from, to: size, proof: await consistencyProof(this.repo.nodeReader(this.db.manager), from, size) };
  }

  /**
   * Every sealed entry up to the latest signed head, as JSON lines. Pages through the leaf_index index
   * (keyset, EXPORT_PAGE rows at a time) rather than holding one cursor's transaction open for as long as the
   * slowest client takes to download: sealed entries never change, so pages below a fixed size are a
   * consistent snapshot anyway, and memory stays constant.
   */
  async export(actor: Actor): Promise<AuditExport> {
    const { treeSize } = await this.treeHead(actor);
    return { treeSize, chunks: this.exportChunks(treeSize) };
  }

  private async *exportChunks(treeSize: number): AsyncGenerator<string> {
    let from = 0;
    while (from < treeSize) {
      const rows = await this.repo.sealedEntries(this.db.manager, from, EXPORT_PAGE, treeSize);
      if (rows.length === 0) return;
      let chunk = '';
      for (const row of rows) chunk += exportLine(toEntry(row));
      yield chunk;
      from = Number(rows[rows.length - 1].leaf_index) + 1;
    }
  }

  /**
   * The sealed size only grows, so a size once seen sealed stays valid: proofs up to it skip the state read
   * (one round trip fewer on the hot path); a larger size re-reads it before answering 404.
   */
  private async assertWithinLog(field: string, size: number): Promise<void> {
    if (size <= this.knownSealed) return;
    const { treeSize } = await this.repo.sealState(this.db.manager);
    this.knownSealed = Math.max(this.knownSealed, treeSize);
    if (size > treeSize) throw outOfLog(field, size, treeSize);
  }
}

/**
 * One export line, `{"index":…,"event":…,"leafHash":"…"}`, with the event written in its canonical (RFC 8785)
 * form: the verifier then finds it already in canonical key order and hashes it at JSON.stringify speed
 * (canonicalJsonFast). It parses to the same object as any other serialisation would.
 */
function exportLine(entry: AuditEntry): string {
  return `{"index":${entry.index},"event":${canonicalJsonFast(entry.event)},"leafHash":"${entry.leafHash}"}\n`;
}

function toEntry(row: SealedEventRow): AuditEntry {
  return { index: Number(row.leaf_index), event: eventFromRow(row), leafHash: toHex(row.leaf_hash) };
}
