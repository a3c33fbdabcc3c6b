import { Logger, StreamableFile } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { Response } from 'express';
import { safeError } from '@huanxin/core';
import { isDatabaseUnavailable } from '@huanxin/database';
import { problem } from './problem.filter';

const logger = new Logger('CsvFile');

/**
 * A CSV download streamed from `stream`. When the stream fails, the answer must not look like a whole file:
 * once bytes have gone out the response is destroyed, so the body ends without HTTP's end-of-body (chunked
 * encoding's last chunk) and every client reports a truncated transfer; before that (the first chunk was still on
 * its way), the answer is a problem+json 503 or 500 like any other failure, never Nest's default 400.
 */
export function csvFile(stream: Readable, filename: string): StreamableFile {
  return new StreamableFile(stream, { type: 'text/csv; charset=utf-8', disposition: `attachment; filename="${filename}"` })
    .setErrorHandler((err: Error, res) => {
      const response = res as unknown as Response;
      const unavailable = isDatabaseUnavailable(err);
      logger.error({ err: safeError(err), file: filename, sent: response.headersSent }, 'CSV export failed before its end');
      if (response.headersSent || response.destroyed) {
        if (!response.destroyed) response.destroy();
        return;
      }
      const body = unavailable
        ? problem('service_unavailable', 503, 'The service is briefly unavailable; try again shortly')
        : problem('internal_error', 500, 'An unexpected error occurred');
      response.removeHeader('Content-Disposition');
      response.status(body.status).type('application/problem+json').send(JSON.stringify(body));
    });
}
