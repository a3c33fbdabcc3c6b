import { AuthService } from '@huanxin/auth';
import { SYSTEM_ACTOR } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import type { TestApp } from './app';
import { randomPhone, randomResidentId, uniq } from './ids';

export interface SignedIn {
  id: string;
  token: string;
  refreshToken: string;
  auth: { Authorization: string };
}

export interface Household extends SignedIn {
  phone: string;
  password: string;
  idNumber: string;
  city: string;
}

/** Test data through the real services and HTTP, never fixed ids (STYLE.md). */
export class Factories {
  constructor(private readonly t: TestApp) {}

  async login(username: string, password: string): Promise<{ token: string; refreshToken: string }> {
    const res = await this.t.http().post('/v1/auth/login').send({ username, password });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { token: res.body.accessToken, refreshToken: res.body.refreshToken };
  }

  /** A staff user created directly through the auth service (as the bootstrap admin is). */
  async staff(role: 'admin' | 'auditor', opts: { email?: string; password?: string } = {}): Promise<SignedIn & { email: string; password: string }> {
    const email = opts.email ?? `${role}-${uniq().toLowerCase()}@example.gov.cn`;
    const password = opts.password ?? `pw-${uniq()}`;
    const auth = this.t.app.get(AuthService);
    const user = await this.t.app.get(TransactionService).run((tx) =>
      auth.createStaff(tx, SYSTEM_ACTOR, { email, password, name: `${role} ${email}`, role }),
    );
    const { token, refreshToken } = await this.login(email, password);
    return { id: user.id, email, password, token, refreshToken, auth: { Authorization: `Bearer ${token}` } };
  }

  admin() {
    return this.staff('admin');
  }

  auditor() {
    return this.staff('auditor');
  }

  async household(opts: { city?: string; idNumber?: string; phone?: string } = {}): Promise<Household> {
    const body = {
      phone: opts.phone ?? randomPhone(),
      password: `pw-${uniq()}`,
      name: '测试住户',
      idNumber: opts.idNumber ?? randomResidentId(),
      city: opts.city ?? 'hangzhou',
    };
    const res = await this.t.http().post('/v1/auth/register').send(body);
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
    const { token, refreshToken } = await this.login(body.phone, body.password);
    return { id: res.body.id, ...body, token, refreshToken, auth: { Authorization: `Bearer ${token}` } };
  }
}
