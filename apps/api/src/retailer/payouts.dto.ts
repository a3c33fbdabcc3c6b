import { ApiProperty } from '@nestjs/swagger';

export class StatementClaimDto {
  @ApiProperty() claimId: string;
  @ApiProperty() city: string;
  @ApiProperty() storeCode: string;
  @ApiProperty() invoiceNumber: string;
  @ApiProperty() soldAt: string;
  @ApiProperty() amountFen: number;
}

export class StatementClawbackDto {
  @ApiProperty({ description: 'the clawed-back claim' }) claimId: string;
  @ApiProperty() city: string;
  @ApiProperty() invoiceNumber: string;
  @ApiProperty({ enum: ['netted', 'returned'], description: 'netted: kept back from this payout (negative: a credit given back with it); returned: settled by this payout coming back, in full' }) kind: string;
  @ApiProperty({ description: 'negative for a credit given back: a clawback recovered twice after a returned payout' }) amountFen: number;
}

export class RetailerPayoutDto {
  @ApiProperty() id: string;
  @ApiProperty() runId: string;
  @ApiProperty() programCode: string;
  @ApiProperty({ enum: ['pending', 'sent', 'paid', 'failed'] }) status: string;
  @ApiProperty({ enum: ['stripe', 'bank-file'] }) gateway: string;
  @ApiProperty({ nullable: true, type: String, description: 'the connected account, or the bank account as ****1234' }) destination: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'the payout-details version the payout was created under (GET /v1/retailer/payout-details has the current one)' }) payoutDetailsVersion: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'what the bank line or Stripe shows: EndToEndId or transfer id' }) reference: string | null;
  @ApiProperty() claimCount: number;
  @ApiProperty({ description: 'sum of the claims' }) grossFen: number;
  @ApiProperty({ description: 'clawbacks kept back, less credits given back (negative when the credits are larger)' }) nettedFen: number;
  @ApiProperty({ description: 'transferred: grossFen − nettedFen' }) amountFen: number;
  @ApiProperty({ description: 'taken back from this transfer later (clawbacks, returns)' }) reversedFen: number;
  @ApiProperty({ nullable: true, type: String }) failureReason: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) sentAt: string | null;
  @ApiProperty({ nullable: true, type: String }) paidAt: string | null;
  @ApiProperty({ nullable: true, type: String }) failedAt: string | null;
  @ApiProperty({ type: [StatementClaimDto] }) claims: StatementClaimDto[];
  @ApiProperty({ type: [StatementClawbackDto] }) clawbacks: StatementClawbackDto[];
}

export class RetailerPayoutPageDto {
  @ApiProperty({ type: [RetailerPayoutDto] }) items: RetailerPayoutDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class MaskedBankAccountDto {
  @ApiProperty() accountName: string;
  @ApiProperty({ example: '3445', description: 'the account number is never answered in full' }) accountNumberLast4: string;
  @ApiProperty() bankCode: string;
}

export class RetailerPayoutDetailsDto {
  @ApiProperty({ nullable: true, type: String }) stripeAccountId: string | null;
  @ApiProperty({ nullable: true, type: MaskedBankAccountDto }) bank: MaskedBankAccountDto | null;
  @ApiProperty({ example: 2, description: '1 as certified, one more at each approved change; each payout says the version it was paid with' }) version: number;
  @ApiProperty({ nullable: true, type: String, example: '2026-11-20T15:04:00+08:00', description: 'when the last approved change took effect (null: as certified)' }) changedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'a change the programme office proposed that waits for a second admin: when it was proposed' }) pendingChangeProposedAt: string | null;
}
