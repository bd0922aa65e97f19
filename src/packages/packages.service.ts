import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { ApplicationsService } from '../applications/applications.service';
import { notFound } from '../common/domain-error';
import { formatAmount, Money } from '../common/money';
import { CreatePackageDto, UpdatePackageDto } from './dto/package.dto';
import { Package } from './package.entity';
import { parseTerms } from './pricing';

@Injectable()
export class PackagesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly apps: ApplicationsService,
  ) {}

  async create(tenantId: string, dto: CreatePackageDto): Promise<Package> {
    const t = parseTerms(dto);
    if (dto.application_id) await this.apps.get(tenantId, dto.application_id);
    const pkg = this.db.getRepository(Package).create({
      id: randomUUID(),
      tenantId,
      applicationId: dto.application_id ?? null,
      name: dto.name,
      amount: t.amount.toFixed(),
      price: formatAmount(t.currency, t.price),
      currency: t.currency,
      discount: t.discount.toFixed(),
      customUnitPrice: t.custom?.unitPrice.toFixed() ?? null,
      customMin: t.custom?.min.toFixed() ?? null,
      customMax: t.custom?.max.toFixed() ?? null,
      active: true,
    });
    await this.db.getRepository(Package).insert(pkg);
    return this.get(tenantId, pkg.id);
  }

  async list(tenantId: string, includeInactive: boolean): Promise<Package[]> {
    return this.db.getRepository(Package).find({
      where: includeInactive ? { tenantId } : { tenantId, active: true },
      order: { createdAt: 'ASC' },
      take: 1000,
    });
  }

  async get(tenantId: string, id: string, m: EntityManager = this.db.manager): Promise<Package> {
    const pkg = await m.findOne(Package, { where: { id, tenantId } });
    if (!pkg) throw notFound('package');
    return pkg;
  }

  async update(tenantId: string, id: string, dto: UpdatePackageDto): Promise<Package> {
    const pkg = await this.get(tenantId, id);
    const t = parseTerms({
      amount: dto.amount ?? pkg.amount,
      price: dto.price ?? formatAmount(pkg.currency, new Money(pkg.price)),
      currency: pkg.currency,
      discount: dto.discount ?? pkg.discount,
    });
    await this.db.getRepository(Package).update(
      { id, tenantId },
      {
        name: dto.name ?? pkg.name,
        amount: t.amount.toFixed(),
        price: formatAmount(pkg.currency, t.price),
        discount: t.discount.toFixed(),
        active: dto.active ?? pkg.active,
      },
    );
    return this.get(tenantId, id);
  }

  /** Packages are never deleted (orders point at them): DELETE deactivates. */
  async deactivate(tenantId: string, id: string): Promise<Package> {
    await this.get(tenantId, id);
    await this.db.getRepository(Package).update({ id, tenantId }, { active: false });
    return this.get(tenantId, id);
  }
}
