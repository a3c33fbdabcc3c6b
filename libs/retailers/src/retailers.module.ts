import { Module } from '@nestjs/common';
import { RetailersRepository } from './retailers.repository';
import { RetailersService } from './retailers.service';

/** Certified retailers and their stores. Other modules import it for `RetailersRepository` look-ups. */
@Module({ providers: [RetailersRepository, RetailersService], exports: [RetailersRepository, RetailersService] })
export class RetailersModule {}
