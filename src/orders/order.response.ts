import { formatAmount, Money, toJsonNumber } from '../common/money';
import { isoMicros } from '../common/time';
import type { Order } from './order.entity';

/** The seed-000 order shape (platform dialect: money as JSON numbers), plus a few extra fields. */
export const toOrderResponse = (o: Order): Record<string, unknown> => ({
  id: o.id,
  user_id: o.userId,
  application_id: o.applicationId,
  package_id: o.packageId,
  amount: toJsonNumber(o.amount),
  price: toJsonNumber(formatAmount(o.currency, new Money(o.price))),
  discount: toJsonNumber(o.discount),
  pay_way: o.payWay,
  pay_id: o.payId,
  pay_url: o.payUrl,
  state: o.state,
  remaining_amount: toJsonNumber(o.remainingAmount),
  tags: o.tags,
  metadata: o.metadata,
  created_at: isoMicros(o.createdAt),
  updated_at: isoMicros(o.updatedAt),
  currency: o.currency,
  expires_at: isoMicros(o.expiresAt),
  paid_at: isoMicros(o.paidAt),
  finished_at: isoMicros(o.finishedAt),
  // Set when the provider charges another currency (WeChat Pay, Alipay: CNY): what it charges and
  // the FX rate used (1 `currency` = fx_rate `charge_currency`).
  pay_currency: o.payCurrency,
  chain: o.chain,
  charge_amount: o.chargeAmount === null ? null : toJsonNumber(o.chargeAmount),
  charge_currency: o.chargeCurrency,
  fx_rate: o.fxRate === null ? null : toJsonNumber(o.fxRate),
});
