import { Body, Controller, Post } from '@nestjs/common';
import { checkInTransactionRoute, IdempotentInTransaction, InTransactionAnswer } from './idempotency.interceptor';

@Controller('x')
class Routes {
  @Post('given')
  @IdempotentInTransaction()
  given(@Body() _body: unknown, @InTransactionAnswer() _answer?: unknown): void {}

  @Post('forgotten')
  @IdempotentInTransaction()
  forgotten(@Body() _body: unknown): void {}

  @Post('plain')
  plain(@Body() _body: unknown): void {}
}

describe('checkInTransactionRoute', () => {
  it('accepts an IdempotentInTransaction route that takes @InTransactionAnswer()', () => {
    expect(() => checkInTransactionRoute(Routes, 'given')).not.toThrow();
  });

  it('refuses one that does not: its service could not save the answer in its transaction', () => {
    expect(() => checkInTransactionRoute(Routes, 'forgotten')).toThrow('Routes.forgotten is IdempotentInTransaction but takes no @InTransactionAnswer()');
  });

  it('leaves other routes alone', () => {
    expect(() => checkInTransactionRoute(Routes, 'plain')).not.toThrow();
  });
});
