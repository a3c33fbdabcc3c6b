import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions, DatabaseOptions } from './data-source';
import { TransactionService } from './transaction.service';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(opts: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(opts), autoLoadEntities: true })],
      providers: [TransactionService],
      exports: [TransactionService],
    };
  }
}
