import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, Clock, DomainError, FieldError, isCityCode, requireAccess } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { quotaView } from './program-views';
import { ProgramsRepository } from './programs.repository';
import { ALLOCATIONS, MAX_DAILY_VOUCHERS, QuotaInput, QuotaView, RELEASE_TIME_RE } from './programs.types';

function check(city: string, input: QuotaInput): FieldError[] {
  const errors: FieldError[] = [];
  if (!isCityCode(city)) errors.push({ field: 'city', message: 'city must be one of Zhejiang\'s city codes' });
  if (!Number.isInteger(input.dailyVouchers) || input.dailyVouchers < 0 || input.dailyVouchers > MAX_DAILY_VOUCHERS) {
    errors.push({ field: 'dailyVouchers', message: `dailyVouchers must be an integer from 0 to ${MAX_DAILY_VOUCHERS}` });
  }
  if (typeof input.releaseTime !== 'string' || !RELEASE_TIME_RE.test(input.releaseTime)) {
    errors.push({ field: 'releaseTime', message: 'releaseTime must be HH:MM from 00:00 to 23:59 (Asia/Shanghai)' });
  }
  // allocation (issue 13): a lottery needs its daily entry window; first come takes none
  const allocation = input.allocation ?? 'first_come';
  if (!ALLOCATIONS.includes(allocation)) errors.push({ field: 'allocation', message: 'allocation must be first_come or lottery' });
  if (allocation === 'lottery') {
    for (const field of ['entryOpens', 'entryCloses'] as const) {
      const v = input[field];
      if (typeof v !== 'string' || !RELEASE_TIME_RE.test(v)) errors.push({ field, message: `${field} must be HH:MM from 00:00 to 23:59 (Asia/Shanghai) for a lottery` });
    }
    if (typeof input.entryOpens === 'string' && typeof input.entryCloses === 'string' && input.entryOpens >= input.entryCloses) {
      errors.push({ field: 'entryCloses', message: 'entryCloses must be after entryOpens (the window lies within one day)' });
    }
  } else if (input.entryOpens !== undefined || input.entryCloses !== undefined) {
    errors.push({ field: 'allocation', message: 'entryOpens and entryCloses are for allocation "lottery" only' });
  }
  return errors;
}

/**
 * Daily voucher quotas per programme and city: `dailyVouchers` released each day at `releaseTime`
 * (Asia/Shanghai). Setting one replaces the previous values; 0 stops issuing in that city. A city that issues
 * vouchers gets its ledger slot accounts here (`VOUCHER_SLOTS`, zero), so the rush finds them made.
 */
@Injectable()
export class QuotasService {
  constructor(
    private readonly db: TransactionService,
    private readonly programs: ProgramsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly ledger: LedgerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async set(actor: Actor, programCode: string, city: string, input: QuotaInput): Promise<QuotaView> {
    requireAccess(actor, 'programme.manage');
    const errors = check(city, input);
    if (errors.length) throw new DomainError('validation_failed', 'The quota has invalid fields', errors);
    return this.db.run(async (tx) => {
      const program = await this.programs.findByCode(tx, programCode);
      if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
      const before = await this.programs.lockQuota(tx, program.id, city);
      const lottery = input.allocation === 'lottery';
      const quota = await this.programs.upsertQuota(tx, {
        programId: program.id, city, dailyVouchers: input.dailyVouchers, releaseTime: input.releaseTime, at: this.clock.now(),
        allocation: lottery ? 'lottery' : 'first_come', entryOpens: lottery ? input.entryOpens : null, entryCloses: lottery ? input.entryCloses : null,
      });
      if (quota.dailyVouchers > 0) await this.ledger.createSlots(tx, program.id, city, this.config.voucherSlots);
      await this.audit.append(tx, actor, {
        action: 'quota.set',
        subjectType: 'program',
        subjectId: program.id,
        details: {
          programCode: program.code, city, dailyVouchers: quota.dailyVouchers, releaseTime: quota.releaseTime,
          ...(lottery || before?.allocation === 'lottery' ? { allocation: quota.allocation, entryOpens: quota.entryOpens, entryCloses: quota.entryCloses } : {}),
          previous: before ? { dailyVouchers: before.dailyVouchers, releaseTime: before.releaseTime } : null,
        },
      });
      return quotaView(program.code, quota);
    });
  }
}
