import { Foundation1764000000000 } from './1764000000000-Foundation';
import { RecyclerCertifications1764000000400 } from './1764000000400-RecyclerCertifications';
import { SubsidyCore1764000001000 } from './1764000001000-SubsidyCore';
import { AuditLog1764000002000 } from './1764000002000-AuditLog';
import { Review1764000003000 } from './1764000003000-Review';
import { Settlement1764000004000 } from './1764000004000-Settlement';
import { Hardening1764000005000 } from './1764000005000-Hardening';
import { RetailerCredits1764000006000 } from './1764000006000-RetailerCredits';
import { ClaimStateMachine1764000007000 } from './1764000007000-ClaimStateMachine';
import { ClaimCodes1764000008000 } from './1764000008000-ClaimCodes';
import { LeanerClaimIndexes1764000010000 } from './1764000010000-LeanerClaimIndexes';
import { VoucherSlots1764000010500 } from './1764000010500-VoucherSlots';
import { HeapOnlyClaimMoves1764000011000 } from './1764000011000-HeapOnlyClaimMoves';
import { VoucherReservationSlot1764000011500 } from './1764000011500-VoucherReservationSlot';
import { Appeals1764000012100 } from './1764000012100-Appeals';
import { ReceiptTransparency1764000012000 } from './1764000012000-ReceiptTransparency';
import { PayoutDetailsChanges1764000012200 } from './1764000012200-PayoutDetailsChanges';
import { LotteryAndWaitlist1764000012300 } from './1764000012300-LotteryAndWaitlist';
import { StaffLineage1764000012400 } from './1764000012400-StaffLineage';

/** Every migration, in order. Listed explicitly so the compiled app and ts-jest load the same set. */
export const MIGRATIONS = [Foundation1764000000000, RecyclerCertifications1764000000400, SubsidyCore1764000001000, AuditLog1764000002000, Review1764000003000, Settlement1764000004000, Hardening1764000005000, RetailerCredits1764000006000, ClaimStateMachine1764000007000, ClaimCodes1764000008000, LeanerClaimIndexes1764000010000, VoucherSlots1764000010500, HeapOnlyClaimMoves1764000011000, VoucherReservationSlot1764000011500, ReceiptTransparency1764000012000, Appeals1764000012100, PayoutDetailsChanges1764000012200, LotteryAndWaitlist1764000012300, StaffLineage1764000012400];
