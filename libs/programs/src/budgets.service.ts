import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, DomainError, FieldError, isCityCode, toShanghaiIso, requireAccess } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { ProgramsRepository } from './programs.repository';
import { BudgetGrantInput, BudgetGrantView, MAX_GRANT_FEN, MAX_NOTE_LENGTH } from './programs.types';

function check(input: BudgetGrantInput): FieldError[] {
  const errors: FieldError[] = [];
  if (!isCityCode(input.city)) errors.push({ field: 'city', message: 'city must be one of Zhejiang\'s city codes' });
  const a = input.amountFen;
  if (typeof a !== 'number' || !Number.isSafeInteger(a) || a <= 0 || a > MAX_GRANT_FEN) {
    errors.push({ field: 'amountFen', message: `amountFen must be a positive integer amount in fen, at most ${MAX_GRANT_FEN} (reductions are their own call)` });
  }
  if (input.note != null && (typeof input.note !== 'string' || input.note.length > MAX_NOTE_LENGTH)) {
    errors.push({ field: 'note', message: `note must be a string of at most ${MAX_NOTE_LENGTH} characters` });
  }
  return errors;
}

/** Budget grants: money into a city's pool of a programme, as one ledger transaction (granted → available). */
@Injectable()
export class BudgetsService {
  constructor(
    private readonly db: TransactionService,
    private readonly programs: ProgramsRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
  ) {}

  async grant(actor: Actor, programCode: string, input: BudgetGrantInput): Promise<BudgetGrantView> {
    requireAccess(actor, 'programme.manage');
    const errors = check(input);
    if (errors.length) throw new DomainError('validation_failed', 'The grant has invalid fields', errors);
    const note = input.note ?? null;
    return this.db.run(async (tx) => {
      const program = await this.programs.findByCode(tx, programCode);
      if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
      const id = await this.ledger.grant(tx, actor, { programId: program.id, city: input.city, amountFen: input.amountFen, note });
      const posted = await this.ledger.findTransaction(tx, id);
      await this.audit.append(tx, actor, {
        action: 'budget.granted',
        subjectType: 'program',
        subjectId: program.id,
        details: { programCode: program.code, city: input.city, amountFen: input.amountFen, note, ledgerTransactionId: id },
      });
      return { id, programCode: program.code, city: input.city, amountFen: input.amountFen, note, createdAt: toShanghaiIso(posted!.createdAt) };
    });
  }
}
