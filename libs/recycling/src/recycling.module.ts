import { Module } from '@nestjs/common';
import { RecyclerKeysRepository } from './recycler-keys.repository';
import { RecyclerKeysService } from './recycler-keys.service';
import { RecyclersRepository } from './recyclers.repository';
import { RecyclersService } from './recyclers.service';

/** Recyclers, their certification periods and signing keys. Receipt verification builds on the repositories. */
@Module({
  providers: [RecyclersRepository, RecyclerKeysRepository, RecyclersService, RecyclerKeysService],
  exports: [RecyclersRepository, RecyclerKeysRepository, RecyclersService, RecyclerKeysService],
})
export class RecyclingModule {}
