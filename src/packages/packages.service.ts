import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, recordAudit } from '../audit/audit-log';
import { ApplicationsService } from '../applications/applications.service';
import { Coalescer, Settled } from '../common/coalescer';
import { formatAmount, Money } from '../common/money';
import { PreparedStatements } from '../database/prepared-statements';
import { CreatePackageDto, UpdatePackageDto } from './dto/package.dto';
import { Package } from './package.entity';
import { parseTerms } from './pricing';
import { PackageErrors } from './packages.errors';
import { ApplicationErrors } from '../applications/applications.errors';

/** A package as the audit log stores it: exact decimal strings. */
const packageJson = (p: Package): Record<string, unknown> => ({
  id: p.id,
  application_id: p.applicationId,
  name: p.name,
  amount: new Money(p.amount).toFixed(),
  price: formatAmount(p.currency, new Money(p.price)),
  currency: p.currency,
  discount: new Money(p.discount).toFixed(),
  custom_unit_price: p.customUnitPrice === null ? null : new Money(p.customUnitPrice).toFixed(),
  custom_min: p.customMin === null ? null : new Money(p.customMin).toFixed(),
  custom_max: p.customMax === null ? null : new Money(p.customMax).toFixed(),
  active: p.active,
});

/** Packages; every change by staff is audited (`package.create`, `.update`, `.deactivate`) in its transaction. */
@Injectable()
export class PackagesService {
  /**
   * getForOrder's reads, batched: the lookups of orders created at the same time are one statement
   * (a fresh read for each, like its own query; fewer round trips under load).
   */
  private readonly orderLookups = new Coalescer<OrderPackageKey, PackageRow>((keys) => this.lookUp(keys), {
    maxBatch: 128,
    maxInFlight: 4,
  });

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
    private readonly apps: ApplicationsService,
  ) {}

  async create(actor: AuditActor, tenantId: string, dto: CreatePackageDto): Promise<Package> {
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
    return this.db.transaction(async (m) => {
      await m.insert(Package, pkg);
      const created = await this.get(tenantId, pkg.id, m);
      await recordAudit(m, actor, {
        tenantId,
        action: 'package.create',
        target: `package:${created.id}`,
        after: packageJson(created),
      });
      return created;
    });
  }

  async list(tenantId: string, includeInactive: boolean): Promise<Package[]> {
    return this.db.getRepository(Package).find({
      where: includeInactive ? { tenantId } : { tenantId, active: true },
      order: { createdAt: 'ASC' },
      take: 1000,
    });
  }

  async get(
    tenantId: string,
    id: string,
    m: EntityManager = this.db.manager,
    lock = false,
  ): Promise<Package> {
    const pkg = await m.findOne(Package, {
      where: { id, tenantId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!pkg) throw PackageErrors.package_not_found('package not found');
    return pkg;
  }

  /**
   * The package an order for `applicationId` may buy, in one query (the order-creation hot path):
   * 404 application_not_found first, then package_not_found; 422 when inactive or bound elsewhere.
   */
  async getForOrder(tenantId: string, packageId: string, applicationId: string): Promise<Package> {
    const row = await this.orderLookups.submit({ tenantId, packageId, applicationId });
    if (!row.found_application) throw ApplicationErrors.application_not_found('application not found');
    if (!row.id) throw PackageErrors.package_not_found('package not found');
    if (!row.active) throw PackageErrors.package_inactive('the package is no longer offered');
    if (row.application_id && row.application_id !== applicationId) {
      throw PackageErrors.package_not_for_application('the package belongs to another application');
    }
    return Object.assign(new Package(), {
      id: row.id,
      tenantId,
      applicationId: row.application_id,
      name: row.name,
      amount: row.amount,
      price: row.price,
      currency: row.currency,
      discount: row.discount,
      customUnitPrice: row.custom_unit_price,
      customMin: row.custom_min,
      customMax: row.custom_max,
      active: row.active,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    });
  }

  private async lookUp(keys: readonly OrderPackageKey[]): Promise<Settled<PackageRow>[]> {
    // Ids that are no UUID cannot be cast in the batch; each such lookup finds nothing (the DTO's @IsUUID
    // keeps them out of the API anyway).
    const rows = await this.statements.query<(PackageRow & { n: string })[]>(
      `SELECT k.n, a.id AS found_application, p.id, p.application_id, p.name, p.amount, p.price, p.currency,
              p.discount, p.custom_unit_price, p.custom_min, p.custom_max, p.active, p.created_at, p.updated_at
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS k(application_id, package_id, tenant_id, n)
         LEFT JOIN applications a ON a.id = k.application_id AND a.tenant_id = k.tenant_id
         LEFT JOIN packages p ON p.id = k.package_id AND p.tenant_id = k.tenant_id`,
      [
        keys.map((k) => uuidOrNull(k.applicationId)),
        keys.map((k) => uuidOrNull(k.packageId)),
        keys.map((k) => uuidOrNull(k.tenantId)),
      ],
    );
    const byN = new Map(rows.map((r) => [Number(r.n), r]));
    return keys.map((_, i) => {
      const row = byN.get(i + 1);
      return row ? { ok: true, value: row } : { ok: false, error: new Error('package lookup: no row') };
    });
  }

  /** Change the fields given; a change that changes nothing writes no audit row. */
  async update(actor: AuditActor, tenantId: string, id: string, dto: UpdatePackageDto): Promise<Package> {
    return this.db.transaction((m) => this.updateIn(m, actor, tenantId, id, dto));
  }

  private async updateIn(
    m: EntityManager,
    actor: AuditActor,
    tenantId: string,
    id: string,
    dto: UpdatePackageDto,
  ): Promise<Package> {
    const pkg = await this.get(tenantId, id, m, true);
    const t = parseTerms({
      amount: dto.amount ?? pkg.amount,
      price: dto.price ?? formatAmount(pkg.currency, new Money(pkg.price)),
      currency: pkg.currency,
      discount: dto.discount ?? pkg.discount,
    });
    await m.update(
      Package,
      { id, tenantId },
      {
        name: dto.name ?? pkg.name,
        amount: t.amount.toFixed(),
        price: formatAmount(pkg.currency, t.price),
        discount: t.discount.toFixed(),
        active: dto.active ?? pkg.active,
      },
    );
    const after = await this.get(tenantId, id, m);
    await this.auditChange(m, actor, 'package.update', pkg, after);
    return after;
  }

  /** Packages are never deleted (orders point at them): DELETE deactivates. */
  async deactivate(actor: AuditActor, tenantId: string, id: string): Promise<Package> {
    return this.db.transaction(async (m) => {
      const before = await this.get(tenantId, id, m, true);
      await m.update(Package, { id, tenantId }, { active: false });
      const after = await this.get(tenantId, id, m);
      await this.auditChange(m, actor, 'package.deactivate', before, after);
      return after;
    });
  }

  /** One audit row when the package changed; none when it is as it was. */
  private async auditChange(
    m: EntityManager,
    actor: AuditActor,
    action: string,
    before: Package,
    after: Package,
  ): Promise<void> {
    const [b, a] = [packageJson(before), packageJson(after)];
    if (JSON.stringify(b) === JSON.stringify(a)) return;
    await recordAudit(m, actor, {
      tenantId: before.tenantId,
      action,
      target: `package:${before.id}`,
      before: b,
      after: a,
    });
  }
}

interface PackageRow {
  found_application: string | null;
  id: string | null;
  application_id: string | null;
  name: string;
  amount: string;
  price: string;
  currency: string;
  discount: string;
  custom_unit_price: string | null;
  custom_min: string | null;
  custom_max: string | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

interface OrderPackageKey {
  tenantId: string;
  packageId: string;
  applicationId: string;
}

const uuidOrNull = (id: string): string | null => (isUUID(id) ? id : null);
