import { IsOptional, IsUUID, registerDecorator, ValidationOptions } from 'class-validator';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar day `YYYY-MM-DD` that exists (no 2026-02-30) and PostgreSQL can hold. */
export function isDay(value: unknown): value is string {
  if (typeof value !== 'string' || !DAY.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value && value >= '0001-01-01';
}

export function IsDay(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol): void => {
    registerDecorator({
      name: 'isDay',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be a date YYYY-MM-DD, e.g. 2026-01-31`, ...options },
      validator: { validate: isDay },
    });
  };
}

/** The dashboard's range of UTC days, both ends included; the last 30 days when not given. */
export class DashboardQueryDto {
  /** First UTC day (included); default: 29 days before `to`. */
  @IsOptional()
  @IsDay()
  from?: string;

  /** Last UTC day (included); default: today (UTC). */
  @IsOptional()
  @IsDay()
  to?: string;
}

/** The operator's dashboard: every tenant, or one. */
export class AdminDashboardQueryDto extends DashboardQueryDto {
  /** Only this tenant's orders. */
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}
