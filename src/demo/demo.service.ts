import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import * as argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Application } from '../applications/application.entity';
import { ARGON2_PRODUCTION } from '../auth/password-hash';
import { User } from '../auth/user.entity';
import { isUniqueViolation } from '../common/pg-errors';
import { Package } from '../packages/package.entity';
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
} as const;

/** Seeds a demo tenant, user, application and packages into an empty database (outside production). */
@Injectable()
export class DemoService {
  private readonly logger = new Logger(DemoService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tenants: TenantsService,
  ) {}

  /** Returns true when it seeded now; false when the demo was already there. */
  async seedIfEmpty(): Promise<boolean> {
    if (await this.db.getRepository(User).exists({ where: { email: DEMO.email } })) return false;
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
    return true;
  }
}
