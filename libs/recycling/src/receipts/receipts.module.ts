import { Module } from '@nestjs/common';
import { ReceiptRevocationsService } from './receipt-revocations.service';
import { ReceiptVerifier } from './receipt-verifier.service';

@Module({ providers: [ReceiptVerifier, ReceiptRevocationsService], exports: [ReceiptVerifier, ReceiptRevocationsService] })
export class ReceiptsModule {}
