import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import { isCurrency, Money, MoneyError, parseDecimal, roundTo } from '../common/money';
import { AppConfig } from '../config/app-config';
import { AuditActor, recordAudit } from '../audit/audit-log';
import { FxRate } from './fx-rate.entity';
import { FxErrors } from './fx.errors';

export interface Conversion {
  amount: Decimal;
  currency: string;
  /** 1 `from` = rate `to`; 1 when no conversion was needed. */
  rate: Decimal;
  rateAt: Date | null;
}

/** The admin-managed FX table. A missing or stale rate is a clear 422, never a guess. */
@Injectable()
export class FxService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** Set 1 base = rate quote, auditing the change in the same transaction. */
  async setRate(actor: AuditActor, base: string, quote: string, rawRate: unknown): Promise<FxRate> {
    for (const [field, code] of [
      ['base', base],
      ['quote', quote],
    ] as const) {
      if (!isCurrency(code))
        throw FxErrors.invalid_currency(`${field} ${code} is not a supported currency`, {
          field,
        });
    }
    if (base === quote) throw FxErrors.invalid_currency('base and quote must differ', { field: 'quote' });
    let rate: Decimal;
    try {
      rate = parseDecimal(rawRate);
    } catch (e) {
      if (e instanceof MoneyError) throw FxErrors.invalid_rate(`rate ${e.message}`, { field: 'rate' });
      throw e;
    }
    if (rate.lte(0) || rate.decimalPlaces() > 18 || rate.gte('1e20')) {
      throw FxErrors.invalid_rate('rate must be greater than 0, below 1e20, with at most 18 decimals', {
        field: 'rate',
      });
    }
    return this.db.transaction(async (m) => {
      const before = await m.query<{ rate: string }[]>(
        'SELECT rate FROM fx_rates WHERE base = $1 AND quote = $2 FOR UPDATE',
        [base, quote],
      );
      await m.query(
        `INSERT INTO fx_rates (base, quote, rate, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (base, quote) DO UPDATE SET rate = EXCLUDED.rate, updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [base, quote, rate.toFixed(), actor.userId],
      );
      await recordAudit(m, actor, {
        tenantId: null,
        action: 'fx_rate.set',
        target: `fx_rate:${base}/${quote}`,
        data: { from: before[0] ? new Money(before[0].rate).toFixed() : null, to: rate.toFixed() },
      });
      return m.findOneOrFail(FxRate, { where: { base, quote } });
    });
  }

  async list(): Promise<FxRate[]> {
    return this.db.getRepository(FxRate).find({ order: { base: 'ASC', quote: 'ASC' } });
  }

  /**
   * Convert `amount` in `from` to `to` with the table's direct rate, rounded half up to `to`'s scale.
   * 422 `fx_rate_missing` when there is no rate, `fx_rate_stale` when it is older than FX_RATE_MAX_AGE_SECONDS.
   */
  async convert(amount: Decimal, from: string, to: string): Promise<Conversion> {
    if (from === to) return { amount, currency: to, rate: new Money(1), rateAt: null };
    const row = await this.db.getRepository(FxRate).findOne({ where: { base: from, quote: to } });
    if (!row)
      throw FxErrors.fx_rate_missing(`no exchange rate from ${from} to ${to} is set`, {
        base: from,
        quote: to,
      });
    const ageSeconds = (Date.now() - row.updatedAt.getTime()) / 1000;
    if (ageSeconds > this.config.fxRateMaxAgeSeconds) {
      throw FxErrors.fx_rate_stale(
        `the ${from}/${to} rate is older than ${this.config.fxRateMaxAgeSeconds} s`,
        {
          base: from,
          quote: to,
          updated_at: row.updatedAt.toISOString(),
        },
      );
    }
    const rate = new Money(row.rate);
    return { amount: roundTo(to, new Money(amount).times(rate)), currency: to, rate, rateAt: row.updatedAt };
  }
}
