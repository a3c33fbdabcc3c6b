import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's headers, worked out once: helmet is run at start against a response that only records what it is
 * told, and every request then gets that list. With the content security policy off (the portal sets its own)
 * nothing helmet sends depends on the request, so the answer is byte for byte helmet's, without its chain of
 * twelve middlewares per request.
 */
export function securityHeaders(options: Readonly<HelmetOptions>): RequestHandler {
  if (options.contentSecurityPolicy !== false) throw new Error('securityHeaders: a content security policy may depend on the request; use helmet itself');
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => void set.push([name, String(value)]),
    removeHeader: (name: string) => void removed.push(name),
  };
  let done = false;
  helmet(options)({} as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  if (!done) throw new Error('securityHeaders: helmet did not finish synchronously');
  return function securityHeadersMiddleware(_req: Request, res: Response, next: NextFunction): void {
    for (let i = 0; i < set.length; i++) res.setHeader(set[i][0], set[i][1]);
    for (let i = 0; i < removed.length; i++) res.removeHeader(removed[i]);
    next();
  };
}
