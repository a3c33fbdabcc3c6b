import { Module } from '@nestjs/common';
import { RecyclingModule } from '../recycling.module';
import { ReceiptRegistrationsRepository } from './receipt-registrations.repository';
import { ReceiptRegistrationsService } from './receipt-registrations.service';
import { ReceiptRevocationsRepository } from './receipt-revocations.repository';
import { ReceiptRevocationsService } from './receipt-revocations.service';
import { ReceiptVerifier } from './receipt-verifier.service';

@Module({
  imports: [RecyclingModule],
  providers: [ReceiptVerifier, ReceiptRevocationsRepository, ReceiptRevocationsService, ReceiptRegistrationsRepository, ReceiptRegistrationsService],
  exports: [ReceiptVerifier, ReceiptRevocationsService, ReceiptRegistrationsRepository, ReceiptRegistrationsService],
})
export class ReceiptsModule {}
