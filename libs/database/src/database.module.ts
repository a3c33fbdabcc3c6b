import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions, DatabaseOptions } from './data-source';
import { ReadDatabase, READ_REPLICA_OPTIONS, ReadReplicaOptions } from './read-database';
import { TransactionService } from './transaction.service';

@Global()
@Module({})
export class DatabaseModule {
  /** `read`: the read replica (DATABASE_READ_URL); without it ReadDatabase reads the primary. */
  static forRoot(opts: DatabaseOptions, read?: ReadReplicaOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(opts), autoLoadEntities: true })],
      providers: [TransactionService, ReadDatabase, { provide: READ_REPLICA_OPTIONS, useValue: read ?? null }],
      exports: [TransactionService, ReadDatabase],
    };
  }
}
