import { IntersectionType } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, IsUUID, Matches, MaxLength, Validate } from 'class-validator';
import { IsDecimalLike } from '../../common/decimal-like.validator';
import { ListQueryDto } from '../../common/list-query.dto';
import { OrderSearchFiltersDto } from './order-search.dto';

export class CreateOrderDto {
  /** The application to recharge. */
  @IsUUID()
  application_id!: string;

  @IsUUID()
  package_id!: string;

  /** WechatPay, AliPay, Stripe, X402, PayPal, Alchemy, TokenPay or Sandbox (any case). */
  @IsString()
  @MaxLength(32)
  @Matches(/^[A-Za-z0-9_]+$/, { message: 'pay_way must be a payment method name' })
  pay_way!: string;

  /** Credits to buy, for packages that take a custom amount. */
  @IsOptional()
  @Validate(IsDecimalLike)
  amount?: number | string;

  /** Crypto token to pay with (USDT, USDC, ETH, BTC, TRX); with `chain`. `pay_way: Crypto` routes on the pair. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9]{2,10}$/, { message: 'pay_currency must be a token symbol' })
  pay_currency?: string;

  /** Chain for pay_currency: TRON, BSC, ETH, SOL, BASE, BTC (aliases TRC20, BEP20, ERC20, SOLANA accepted). */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9]{2,16}$/, { message: 'chain must be a chain name' })
  chain?: string;

  /** Where the hosted checkout sends the payer once paid (an addition to the platform API's order fields). */
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  redirect_url?: string;
}

/** GET /api/v1/orders: the order list's filters (all optional, additive) and a page. */
export class ListOrdersQueryDto extends IntersectionType(ListQueryDto, OrderSearchFiltersDto) {}
