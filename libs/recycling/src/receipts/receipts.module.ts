import { Module } from '@nestjs/common';
import { RecyclingModule } from '../recycling.module';
import { ReceiptRevocationsRepository } from './receipt-revocations.repository';
import { ReceiptRevocationsService } from './receipt-revocations.service';
import { ReceiptVerifier } from './receipt-verifier.service';

@Module({ imports: [RecyclingModule], providers: [ReceiptVerifier, ReceiptRevocationsRepository, ReceiptRevocationsService], exports: [ReceiptVerifier, ReceiptRevocationsService] })
export class ReceiptsModule {}
