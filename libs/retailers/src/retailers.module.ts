import { Module } from '@nestjs/common';
import { AuthModule } from '@huanxin/auth';
import { RetailersRepository } from './retailers.repository';
import { RetailersService } from './retailers.service';

/**
 * Certified retailers and their stores. Other modules import it for `RetailersRepository` look-ups. Imports what
 * RetailersService needs (AuthModule), so processes without the API's modules (worker, scripts) can load it.
 */
@Module({ imports: [AuthModule], providers: [RetailersRepository, RetailersService], exports: [RetailersRepository, RetailersService] })
export class RetailersModule {}
