import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, DomainError, toShanghaiIso, requireAccess } from '@huanxin/core';
import { isUniqueViolation, TransactionService } from '@huanxin/database';
import { policyVersionView } from './program-views';
import { ProgramsRepository } from './programs.repository';
import { rulesOrThrow } from './programs.service';
import type { NewPolicyVersion, PolicyVersionView } from './programs.types';

/**
 * Publishing a new policy version. Versions are immutable and only ever appended: a new one takes over
 * from `effectiveFrom`, and sales before that keep the version they were priced under. So a version may
 * not start in the past (it would re-price sales already made) nor before the latest one.
 */
@Injectable()
export class PolicyVersionsService {
  constructor(
    private readonly db: TransactionService,
    private readonly programs: ProgramsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async publish(actor: Actor, programCode: string, input: NewPolicyVersion): Promise<PolicyVersionView> {
    requireAccess(actor, 'programme.manage');
    const effectiveFrom = input.effectiveFrom;
    if (!(effectiveFrom instanceof Date) || Number.isNaN(effectiveFrom.getTime())) {
      throw new DomainError('validation_failed', 'effectiveFrom is not a valid time', [{ field: 'effectiveFrom', message: 'effectiveFrom must be a valid time' }]);
    }
    const rules = rulesOrThrow(input.rules);
    try {
      const published = await this.db.run(async (tx) => {
        // The programme's row lock serialises publications: each numbers itself from the latest version.
        const program = await this.programs.lockByCode(tx, programCode);
        if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
        const latest = await this.programs.latestVersion(tx, program.id);
        const now = this.clock.now();
        if (effectiveFrom.getTime() < now.getTime()) {
          throw new DomainError('policy_version_conflict', `effectiveFrom ${toShanghaiIso(effectiveFrom)} is in the past; a new version cannot re-price sales already made`);
        }
        if (latest && effectiveFrom.getTime() <= latest.effectiveFrom.getTime()) {
          throw new DomainError('policy_version_conflict', `effectiveFrom must be after version ${latest.version}'s (${toShanghaiIso(latest.effectiveFrom)})`);
        }
        if (effectiveFrom.getTime() >= program.endsAt.getTime()) {
          throw new DomainError('policy_version_conflict', `effectiveFrom must be before the programme ends (${toShanghaiIso(program.endsAt)})`);
        }
        const version = await this.programs.insertVersion(tx, { programId: program.id, version: (latest?.version ?? 0) + 1, effectiveFrom, rules });
        await this.audit.append(tx, actor, {
          action: 'policy.version_published',
          subjectType: 'program',
          subjectId: program.id,
          details: { programCode: program.code, version: version.version, effectiveFrom: toShanghaiIso(version.effectiveFrom), rules: version.rules },
        });
        return version;
      });
      return policyVersionView(published);
    } catch (err) {
      // Unreachable while the row lock holds; the constraints are the last word if it ever does not.
      if (isUniqueViolation(err)) throw new DomainError('policy_version_conflict', 'Another version was published at the same time; try again');
      throw err;
    }
  }
}
