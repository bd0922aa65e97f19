import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import * as argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Application } from '../applications/application.entity';
import { ARGON2_PRODUCTION } from '../auth/password-hash';
import type { Principal } from '../auth/principal';
import { User } from '../auth/user.entity';
import { isUniqueViolation } from '../common/pg-errors';
import { Package } from '../packages/package.entity';
import { OrderCreationService } from '../payments/order-creation/order-creation.service';
import { RefundsService } from '../payments/refunds/refunds.service';
import { SandboxPayer } from '../payments/sandbox/sandbox-payer.service';
import { TenantsService } from '../tenants/tenants.service';

/** Fixed ids, so the README's curl journey works against every fresh demo. */
export const DEMO = {
  email: 'demo@paymux.local',
  password: 'paymux-demo',
  applicationId: '107f8d0f-e465-4a7e-a49e-d633d26f7aa2',
  packages: [
    {
      id: '0d5c4e2a-7b1f-4c3e-9a55-000000000500',
      name: '500 credits',
      amount: '500',
      price: '49.99',
      discount: '1',
    },
    {
      id: '0d5c4e2a-7b1f-4c3e-9a55-000000002000',
      name: '2,000 credits (20% off)',
      amount: '2000',
      price: '199.00',
      discount: '0.8',
    },
  ],
  customPackageId: '0d5c4e2a-7b1f-4c3e-9a55-00000000c057',
  /**
   * The demo operator (a platform admin) for the console, seeded on the embedded default when
   * ADMIN_EMAIL is not set; its password is printed in the start banner like the demo login's.
   */
  operator: { email: 'operator@paymux.local', password: 'paymux-operator' },
} as const;

/** What the demo seeding did. */
export interface DemoSeeding {
  /** The demo tenant was created now (false: it was there already). */
  seeded: boolean;
  /** The demo operator account exists (created now or before): the banner prints its login. */
  operator: boolean;
}

/**
 * Seeds a demo tenant, user, application and packages into an empty database (outside production),
 * with a few Sandbox orders made through the real services so the console is not empty: Finished,
 * Pending, Refunded (a full refund) and one flagged (paid another amount); and the demo operator.
 */
@Injectable()
export class DemoService {
  private readonly logger = new Logger(DemoService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tenants: TenantsService,
    private readonly orders: OrderCreationService,
    private readonly refunds: RefundsService,
    private readonly sandbox: SandboxPayer,
  ) {}

  /** The demo tenant (when missing) and, with `operator`, the demo operator (when missing). */
  async seed(opts: { operator: boolean }): Promise<DemoSeeding> {
    const seeded = await this.seedIfEmpty();
    const operator = opts.operator && (await this.seedOperator());
    return { seeded, operator };
  }

  /** Returns true when it seeded now; false when the demo was already there. */
  async seedIfEmpty(): Promise<boolean> {
    if (await this.db.getRepository(User).exists({ where: { email: DEMO.email } })) return false;
    let owner: Principal | undefined;
    // The production parameters (argon2's defaults cost 3x the memory and made every demo login slow).
    const passwordHash = await argon2.hash(DEMO.password, ARGON2_PRODUCTION);
    try {
      await this.db.transaction(async (m) => {
        const user = m.create(User, {
          id: randomUUID(),
          email: DEMO.email,
          name: 'Demo merchant',
          passwordHash,
          isPlatformAdmin: false,
        });
        await m.insert(User, user);
        const tenant = await this.tenants.createWithOwner(m, 'Demo tenant', user.id);
        owner = { userId: user.id, tenantId: tenant.id, role: 'owner', platformAdmin: false, via: 'jwt' };
        await m.insert(Application, {
          id: DEMO.applicationId,
          tenantId: tenant.id,
          name: 'Demo application',
          balance: '0',
        });
        for (const p of DEMO.packages) {
          await m.insert(Package, {
            ...p,
            tenantId: tenant.id,
            applicationId: null,
            currency: 'USD',
            active: true,
          });
        }
        await m.insert(Package, {
          id: DEMO.customPackageId,
          tenantId: tenant.id,
          applicationId: null,
          name: 'Any amount ($0.10 a credit)',
          amount: '1',
          price: '0.10',
          currency: 'USD',
          discount: '1',
          customUnitPrice: '0.1',
          customMin: '10',
          customMax: '100000',
          active: true,
        });
      });
    } catch (err) {
      if (isUniqueViolation(err)) return false; // another process seeded it meanwhile
      throw err;
    }
    this.logger.log(
      `demo tenant seeded: user ${DEMO.email}, application ${DEMO.applicationId}, ` +
        `${DEMO.packages.length + 1} packages (${DEMO.packages.map((p) => p.name).join(', ')}, custom amount)`,
    );
    if (owner) await this.seedOrders(owner);
    return true;
  }

  /**
   * A few orders in different states, through the same services as the API and the Sandbox's payer
   * side (signed callbacks through the webhook pipeline). A failure here leaves the demo usable.
   */
  private async seedOrders(owner: Principal): Promise<void> {
    const order = async (): Promise<{ id: string; payId: string }> => {
      const { order: o } = await this.orders.createOrder(owner, {
        application_id: DEMO.applicationId,
        package_id: DEMO.packages[0].id,
        pay_way: 'Sandbox',
      });
      return { id: o.id, payId: o.payId ?? '' };
    };
    try {
      const finished = await order();
      await this.sandbox.complete(finished.payId, { outcome: 'succeeded' });
      const refunded = await order();
      await this.sandbox.complete(refunded.payId, { outcome: 'succeeded' });
      await this.refunds.create(owner, owner.tenantId, refunded.id, { reason: 'demo: refunded in full' });
      // Paid another amount than the order's: recorded and flagged (the attention queue), never credited.
      const flagged = await order();
      await this.sandbox.complete(flagged.payId, { outcome: 'succeeded', amount: '1.00' });
      await order(); // Pending: waiting for its payer
      this.logger.log('demo orders seeded: Finished, Refunded, flagged (amount mismatch), Pending');
    } catch (err) {
      this.logger.warn(`demo orders not seeded: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * The demo operator: a platform admin with the printed password and a tenant of its own, like the
   * ADMIN_EMAIL bootstrap's. True when it exists (now or from an earlier start) as a platform admin.
   */
  private async seedOperator(): Promise<boolean> {
    const { email, password } = DEMO.operator;
    const existing = await this.db.getRepository(User).findOne({ where: { email } });
    if (existing) return existing.isPlatformAdmin;
    const passwordHash = await argon2.hash(password, ARGON2_PRODUCTION);
    try {
      await this.db.transaction(async (m) => {
        const user = m.create(User, {
          id: randomUUID(),
          email,
          name: 'Demo operator',
          passwordHash,
          isPlatformAdmin: true,
        });
        await m.insert(User, user);
        await this.tenants.createWithOwner(m, 'Platform', user.id);
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // another process seeded it meanwhile
    }
    this.logger.log(`demo operator seeded: platform admin ${email}`);
    return true;
  }
}
