/**
 * Platform admin accounts made explicitly by an operator (`npm run paymux -- admin create|promote`,
 * src/cli/): the explicit forms of what ADMIN_EMAIL refuses to do implicitly (AuthService.bootstrapAdmin).
 * Each change writes one audit row in its transaction.
 */
import * as argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditActor, recordAudit } from '../audit/audit-log';
import { TenantsService } from '../tenants/tenants.service';
import type { passwordHashOptions } from './password-hash';
import { User } from './user.entity';

/**
 * Who does it: a platform admin, or `self` when there is none yet (the first admin is made by the
 * operator of the machine; the audit row names the account itself, as the old admin:promote did).
 */
export type AdminActor = AuditActor | 'self';

const actorFor = (actor: AdminActor, userId: string): AuditActor => (actor === 'self' ? { userId } : actor);

/** Promote the account with this email; 'already' when it was a platform admin, null when there is none. */
export async function promoteToPlatformAdmin(
  m: EntityManager,
  emailRaw: string,
  actor: AdminActor,
): Promise<'promoted' | 'already' | null> {
  const email = emailRaw.trim().toLowerCase();
  const user = await m.findOne(User, { where: { email }, lock: { mode: 'pessimistic_write' } });
  if (!user) return null;
  if (user.isPlatformAdmin) return 'already';
  await m.update(User, { id: user.id }, { isPlatformAdmin: true });
  await recordAudit(m, actorFor(actor, user.id), {
    tenantId: null,
    action: 'user.promote_platform_admin',
    target: `user:${user.id}`,
    before: { is_platform_admin: false },
    after: { is_platform_admin: true },
    data: { email, via: 'paymux admin promote' },
  });
  return 'promoted';
}

/**
 * Create a platform admin account with this password (already checked against the password rules),
 * with a tenant of its own ("Platform") like the ADMIN_EMAIL bootstrap; null when the email is taken.
 */
export async function createPlatformAdmin(
  m: EntityManager,
  tenants: TenantsService,
  input: {
    email: string;
    password: string;
    name: string;
    hashOptions: ReturnType<typeof passwordHashOptions>;
  },
  actor: AdminActor,
): Promise<User | null> {
  const email = input.email.trim().toLowerCase();
  if (await m.exists(User, { where: { email } })) return null;
  const user = m.create(User, {
    id: randomUUID(),
    email,
    name: input.name,
    passwordHash: await argon2.hash(input.password, input.hashOptions),
    isPlatformAdmin: true,
  });
  await m.insert(User, user);
  const tenant = await tenants.createWithOwner(m, 'Platform', user.id);
  await recordAudit(m, actorFor(actor, user.id), {
    tenantId: null,
    action: 'user.create_platform_admin',
    target: `user:${user.id}`,
    after: { email, name: input.name, is_platform_admin: true, tenant_id: tenant.id },
    data: { via: 'paymux admin create' },
  });
  return user;
}
