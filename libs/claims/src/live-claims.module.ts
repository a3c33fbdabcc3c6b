import { Global, Module } from '@nestjs/common';
import { LIVE_CLAIMS } from '@huanxin/core';
import { LiveClaimsProvider } from './live-claims.provider';

/**
 * Provides `LIVE_CLAIMS` to every module (global): vouchers and recycling are imported by claims, so they cannot
 * import ClaimsModule back. The processes that run them (API, worker) import this once.
 */
@Global()
@Module({
  providers: [LiveClaimsProvider, { provide: LIVE_CLAIMS, useExisting: LiveClaimsProvider }],
  exports: [LIVE_CLAIMS],
})
export class LiveClaimsModule {}
