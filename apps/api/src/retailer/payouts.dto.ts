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
