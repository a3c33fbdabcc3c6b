import { Injectable } from '@nestjs/common';

/** Time is injected so tests can pin it (STYLE.md). */
@Injectable()
export class Clock {
  private fixed: Date | undefined;
  private offsetMs = 0;

  now(): Date {
    return this.fixed ? new Date(this.fixed.getTime()) : new Date(Date.now() + this.offsetMs);
  }

  /** Tests only: pin the clock to an instant. */
  set(at: Date | undefined): void {
    this.fixed = at;
  }

  /** Tests only: run the real clock shifted by an offset. */
  shift(ms: number): void {
    this.offsetMs = ms;
  }
}
