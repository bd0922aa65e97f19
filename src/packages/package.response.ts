import { formatAmount, Money, toJsonNumber } from '../common/money';
import { isoMicros } from '../common/time';
import type { Package } from './package.entity';

export const toPackageResponse = (p: Package): Record<string, unknown> => ({
  id: p.id,
  name: p.name,
  application_id: p.applicationId,
  amount: toJsonNumber(p.amount),
  price: toJsonNumber(formatAmount(p.currency, new Money(p.price))),
  currency: p.currency,
  discount: toJsonNumber(p.discount),
  custom_amount: p.customUnitPrice
    ? {
        unit_price: toJsonNumber(p.customUnitPrice),
        min: toJsonNumber(p.customMin ?? '0'),
        max: toJsonNumber(p.customMax ?? '0'),
      }
    : null,
  active: p.active,
  created_at: isoMicros(p.createdAt),
  updated_at: isoMicros(p.updatedAt),
});
