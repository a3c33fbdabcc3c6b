import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, ANONYMOUS_ACTOR, decodeCursor, DomainError, encodeCursor, newId, normaliseResidentId, Page, pageSize, residentIdLast4, Role, toShanghaiIso, requireAccess } from '@huanxin/core';
import { isUniqueViolation, pgConstraint, TransactionService, Tx } from '@huanxin/database';
import { AuditService } from '@huanxin/audit-log';
import { PasswordService } from './password.service';
import { hashIdNumber } from './secrets';
import { TokenPair, TokensService } from './tokens.service';
import { User, UsersRepository } from './users.repository';
import { RevokedSessionsService } from './revoked-sessions.service';

export interface RegisterInput {
  phone: string;
  password: string;
  name: string;
  idNumber: string;
  city: string;
}

export interface RegisteredHousehold {
  id: string;
  phone: string;
  city: string;
  idNumberLast4: string;
}

export interface StaffInput {
  email: string;
  password: string;
  name: string;
  role: Extract<Role, 'auditor' | 'admin' | 'retailer'>;
  retailerId?: string;
}

export interface StaffUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  retailerId?: string;
}

export interface StaffListItem {
  id: string;
  role: Role;
  email: string;
  name: string;
  retailerId: string | null;
  disabled: boolean;
  createdAt: string;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TransactionService,
    private readonly users: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
    private readonly revokedSessions: RevokedSessionsService,
  ) {}

  idNumberHash(idNumber: string): string {
    return hashIdNumber(this.config.idHashSecret, normaliseResidentId(idNumber));
  }

  /** Whether the household `userId` holds this ID number (the till checks the voucher is the customer's). */
  isIdNumberHolder(tx: Tx, userId: string, idNumber: string): Promise<boolean> {
    return this.users.holdsIdNumber(tx, userId, this.idNumberHash(idNumber));
  }

  async register(actor: Actor, input: RegisterInput): Promise<RegisteredHousehold> {
    const id = newId();
    const idNumber = normaliseResidentId(input.idNumber);
    const passwordHash = await this.passwords.hash(input.password);
    try {
      await this.db.run(async (tx) => {
        await this.users.insert(tx, {
          id, role: 'household', phone: input.phone, passwordHash, name: input.name, city: input.city,
          idNumberHash: this.idNumberHash(idNumber), idNumberLast4: residentIdLast4(idNumber),
        });
        await this.audit.append(tx, { ...actor, kind: 'user', id, role: 'household' }, {
          action: 'household.registered', subjectType: 'user', subjectId: id, details: { city: input.city },
        });
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        const c = pgConstraint(err) ?? '';
        if (c.includes('phone')) throw new DomainError('phone_taken', 'This phone number is already registered');
        if (c.includes('id_number')) throw new DomainError('id_number_taken', 'A household is already registered with this ID number');
      }
      throw err;
    }
    return { id, phone: input.phone, city: input.city, idNumberLast4: residentIdLast4(idNumber) };
  }

  /** Checks a username (phone or e-mail) and password; records failures in the audit log. */
  async validateCredentials(username: string, password: string): Promise<User> {
    const user = await this.users.findByUsername(username.trim());
    const ok = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !ok || user.disabledAt) {
      await this.db.run((tx) =>
        this.audit.append(tx, user ? { kind: 'user', id: user.id, role: user.role } : ANONYMOUS_ACTOR, {
          action: 'auth.login_failed', subjectType: 'user', subjectId: user?.id ?? null,
          details: { reason: !user ? 'unknown_user' : user.disabledAt ? 'disabled' : 'bad_password' },
        }),
      );
      throw new DomainError('unauthorized', 'Wrong username or password');
    }
    return user;
  }

  async login(user: User): Promise<TokenPair> {
    return this.db.run(async (tx) => {
      const pair = await this.tokens.issue(tx, user);
      await this.audit.append(tx, { kind: 'user', id: user.id, role: user.role }, {
        action: 'auth.login', subjectType: 'user', subjectId: user.id,
      });
      return pair;
    });
  }

  refresh(refreshToken: string): Promise<TokenPair> {
    return this.tokens.rotate(refreshToken, (id, tx) => this.users.findById(tx, id));
  }

  async logout(actor: Actor, familyId: string | undefined): Promise<void> {
    if (actor.kind !== 'user' || !familyId) throw new DomainError('forbidden', 'Only a signed-in person can log out');
    await this.db.run(async (tx) => {
      await this.tokens.revokeFamily(tx, actor.id, familyId);
      await this.audit.append(tx, actor, { action: 'auth.logout', subjectType: 'user', subjectId: actor.id });
    });
    this.revokedSessions.markRevoked(familyId);
  }

  /** Ends the web session a refresh token belongs to (the portal signs out with its cookie): nothing if it ended already. */
  async endSession(refreshToken: string): Promise<void> {
    const familyId = await this.db.run(async (tx) => {
      const found = await this.tokens.familyOf(tx, refreshToken);
      if (!found) return undefined;
      await this.tokens.revokeFamily(tx, found.userId, found.familyId);
      await this.audit.append(tx, { kind: 'user', id: found.userId }, { action: 'auth.logout', subjectType: 'user', subjectId: found.userId });
      return found.familyId;
    });
    if (familyId) this.revokedSessions.markRevoked(familyId);
  }

  /** Who a signed-in person is, for the portal's header and pages: nothing secret, the phone masked. */
  async whoAmI(actor: Actor): Promise<{ id: string; role: string; name: string; email: string | null; phone: string | null; city: string | null; retailerId: string | null; idNumberLast4: string | null }> {
    const user = actor.kind === 'user' ? await this.users.findById(this.db.manager, actor.id) : undefined;
    if (!user || user.disabledAt) throw new DomainError('unauthorized', 'Not signed in');
    return {
      id: user.id, role: user.role, name: user.name, email: user.email, phone: user.phoneMasked, city: user.city,
      retailerId: user.retailerId, idNumberLast4: user.idNumberLast4,
    };
  }

  /** Staff accounts (auditors, admins, retailer staff), by e-mail, a page at a time: the programme office only. */
  async listStaff(actor: Actor, q: { role?: 'auditor' | 'admin' | 'retailer'; limit?: number; cursor?: string }): Promise<Page<StaffListItem>> {
    requireAccess(actor, 'accounts.list');
    const limit = pageSize(q.limit);
    const afterEmail = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (afterEmail !== undefined && !afterEmail.includes('@')) {
      throw new DomainError('validation_failed', 'The cursor is not valid', [{ field: 'cursor', message: 'not a cursor from this list' }]);
    }
    const rows = await this.users.staffPage({ role: q.role, afterEmail, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return {
      items: page.map((u) => ({
        id: u.id, role: u.role, email: u.email ?? '', name: u.name, retailerId: u.retailerId, disabled: u.disabledAt !== null,
        createdAt: toShanghaiIso(u.createdAt),
      })),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].email ?? '') : null,
    };
  }

  /** Staff accounts: auditors and admins (by an admin) and retailer staff. Runs inside the caller's transaction. */
  async createStaff(tx: Tx, actor: Actor, input: StaffInput): Promise<StaffUser> {
    const id = newId();
    const passwordHash = await this.passwords.hash(input.password);
    try {
      await this.users.insert(tx, {
        id, role: input.role, email: input.email.toLowerCase(), passwordHash, name: input.name, retailerId: input.retailerId,
        createdBy: actor.kind === 'user' ? actor.id : null,
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new DomainError('email_taken', 'This e-mail address is already in use');
      }
      throw err;
    }
    await this.audit.append(tx, actor, {
      action: 'user.created', subjectType: 'user', subjectId: id,
      details: { role: input.role, retailerId: input.retailerId ?? null },
    });
    return { id, email: input.email.toLowerCase(), name: input.name, role: input.role, ...(input.retailerId ? { retailerId: input.retailerId } : {}) };
  }

  /** POST /v1/admin/users: an auditor or admin, in its own transaction. */
  createStaffUser(actor: Actor, input: Omit<StaffInput, 'retailerId'>): Promise<StaffUser> {
    return this.db.run((tx) => this.createStaff(tx, actor, input));
  }

  /** BOOTSTRAP_ADMIN_EMAIL/PASSWORD: create that admin when there is no admin yet. */
  async bootstrapAdmin(): Promise<boolean> {
    const { bootstrapAdminEmail: email, bootstrapAdminPassword: password } = this.config;
    if (!email || !password) return false;
    if (await this.users.anyAdmin()) return false;
    await this.db.run(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(727275)`);
      const exists = await tx.query(`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`);
      if (exists.length) return;
      await this.createStaff(tx, { kind: 'system', id: 'bootstrap' }, { email, password, name: 'Bootstrap admin', role: 'admin' });
    });
    this.logger.log('bootstrap admin created');
    return true;
  }
}
