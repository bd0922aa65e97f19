import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** An order payment API request (`POST /api/order/payment`). */
export class OrderPaymentDto {
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  order_id!: string;

  /** wechat, weapp, alipay, paypal, stripe (also alipay_qr, x402, alchemy, tokenpay, sandbox). */
  @IsString()
  @MinLength(1)
  @MaxLength(32)
  pay_way!: string;

  /** The payer's openid; required for weapp. */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  openid?: string;
}
