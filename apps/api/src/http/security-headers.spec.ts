import helmet from 'helmet';
import { securityHeaders } from './security-headers';

/** A response that records what is done to its headers, in order. */
function recorder() {
  const calls: string[] = [];
  return {
    calls,
    res: {
      setHeader: (name: string, value: unknown) => void calls.push(`set ${name}: ${String(value)}`),
      removeHeader: (name: string) => void calls.push(`remove ${name}`),
    },
  };
}

describe('securityHeaders', () => {
  it("sets exactly helmet's headers (computed once), and carries on", () => {
    const options = { contentSecurityPolicy: false } as const;
    const viaHelmet = recorder();
    helmet(options)({} as never, viaHelmet.res as never, () => undefined);
    const ours = recorder();
    const next = jest.fn();
    securityHeaders(options)({} as never, ours.res as never, next);
    expect(next).toHaveBeenCalledWith();
    expect(new Set(ours.calls)).toEqual(new Set(viaHelmet.calls));
    expect(ours.calls).toContain('set X-Content-Type-Options: nosniff');
    expect(ours.calls).toContain('remove X-Powered-By');
  });

  it('refuses a content security policy (it may depend on the request)', () => {
    expect(() => securityHeaders({})).toThrow(/content security policy/);
  });
});
