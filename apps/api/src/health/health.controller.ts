import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '@huanxin/auth';

/** What Terminus answers for a check with no indicators: liveness asks nothing of anyone. */
export const LIVE = Object.freeze({ status: 'ok', info: {}, error: {}, details: {} });

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthCheckService, private readonly db: TypeOrmHealthIndicator) {}

  @Public()
  @Get('live')
  @HealthCheck()
  live() {
    // the process answers, so it is alive: the same body as `this.health.check([])`, without its promise chain.
    // The running app answers this path before Nest's routes (liveHandler in create-app); this route documents it.
    return LIVE;
  }

  @Public()
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.db.pingCheck('database', { timeout: 2000 })]);
  }
}
