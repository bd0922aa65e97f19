import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import {
  ApiEnvelopeResponse,
  ApiErrorResponses,
  ApiMerchantSignature,
  MerchantEnvelope,
} from '../../common/api-docs';
import { Public, CurrentPrincipal } from '../../auth/auth.decorators';
import { AppConfig } from '../../config/app-config';
import { isLiteralPrivateHost } from '../../common/receiver-address';
import { MerchantAuthGuard } from '../../auth/merchant-auth.guard';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../common/domain-error';
import { isCurrency, Money, MoneyError, parseAmount } from '../../common/money';
import { MerchantOrderResponse, toMerchantOrder } from '../../orders/merchant-order.response';
import { canonicalChain } from '../contract/chains';
import { CRYPTO_ROUTES, parseRoute } from '../routing';
import { MerchantPaymentsService } from './merchant-payments.service';
import { PaymentErrors } from '../payments.errors';

/** The merchant API's request body, for the API docs; validated by hand to give its error messages. */
export class MerchantPaymentDto {
  @ApiProperty({ example: 'Pay1678886400000', description: '8-32 letters or digits, unique per tenant' })
  order_no!: string;
  @ApiProperty({ example: 'EUR' })
  currency!: string;
  @ApiProperty({ example: '0.1', description: 'decimal string at the currency scale' })
  amount!: string;
  @ApiProperty({ example: 'BSC' })
  chain_type!: string;
  @ApiProperty({ example: 'https://your.domain/notify' })
  notify_url!: string;
  @ApiPropertyOptional({ example: 'Test product name' })
  product_name?: string;
  @ApiPropertyOptional({ example: 'https://your.domain/redirect' })
  redirect_url?: string;
  @ApiPropertyOptional({ example: 'id:123' })
  meta?: string;
}

const invalid = (field: string, why: string): DomainError =>
  PaymentErrors.invalid_parameter(`Invalid parameter \`${field}\`: ${why}`, { field });

function text(
  body: Record<string, unknown>,
  field: string,
  required: boolean,
  max: number,
): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') {
    if (required) throw invalid(field, `${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw invalid(field, `${field} must be a string`);
  if (v.length > max) throw invalid(field, `${field} must be at most ${max} characters`);
  if (v.includes('\u0000')) throw invalid(field, `${field} contains a NUL character`);
  return v;
}

function httpUrl(field: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(field, `${field} must be an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(field, `${field} must be an http(s) URL`);
  return raw;
}

const ok = <T>(data: T): MerchantEnvelope<T> => ({ code: 10000, message: 'OK', data });

/**
 * The merchant server-to-server API, signed with an API key (see MerchantAuthGuard, merchantSignature):
 * `POST /v1/payment`, `GET /v1/payment/:order_no`, `POST /v1/payment/:order_no/close`.
 */
@ApiTags('Merchant API')
@ApiMerchantSignature()
@ApiErrorResponses([400, 401, 415, 429], 'merchant')
@ApiHeader({ name: 'X-API-Key', required: true })
@ApiHeader({ name: 'X-Timestamp', required: true })
@ApiHeader({ name: 'X-Nonce', required: true })
@ApiHeader({ name: 'X-Signature', required: true })
@Public()
@UseGuards(MerchantAuthGuard)
@Controller('v1/payment')
export class MerchantPaymentsController {
  constructor(
    private readonly merchant: MerchantPaymentsService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiBody({ type: MerchantPaymentDto })
  @ApiEnvelopeResponse(MerchantEnvelope, MerchantOrderResponse, { description: 'the new order' })
  @ApiErrorResponses([409, 422, 502], 'merchant')
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() body: unknown,
  ): Promise<MerchantEnvelope<MerchantOrderResponse>> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw invalid('body', 'the body must be a JSON object');
    const b = body as Record<string, unknown>;
    const orderNo = text(b, 'order_no', true, 64) as string;
    if (!/^[A-Za-z0-9]{8,32}$/.test(orderNo))
      throw invalid('order_no', 'order_no must be 8-32 letters or digits');
    const currency = (text(b, 'currency', true, 16) as string).trim().toUpperCase();
    if (!isCurrency(currency)) throw invalid('currency', 'currency does not exist');
    const amountText = b.amount;
    if (typeof amountText !== 'string') throw invalid('amount', 'amount must be a decimal string');
    let price: Money;
    try {
      price = parseAmount(amountText, currency);
    } catch (err) {
      if (err instanceof MoneyError) throw invalid('amount', `amount ${err.message}`);
      throw err;
    }
    const chainRaw = (text(b, 'chain_type', true, 32) as string).trim();
    if (!canonicalChain(chainRaw)) throw invalid('chain_type', 'chain_type does not exist');
    // A token is collected as itself; a fiat amount is collected in USDT (converted with the FX table).
    const token = Object.prototype.hasOwnProperty.call(CRYPTO_ROUTES, currency) ? currency : 'USDT';
    let route;
    try {
      route = parseRoute(token, chainRaw);
    } catch {
      throw invalid('chain_type', `${token} cannot be paid on ${chainRaw}`);
    }
    const notifyUrl = httpUrl('notify_url', text(b, 'notify_url', true, 2048) as string);
    // Names are resolved again at each delivery; a literal private address is refused at once.
    if (!this.config.notifyAllowPrivate && isLiteralPrivateHost(notifyUrl))
      throw invalid('notify_url', 'notify_url must not point to a private or loopback address');
    const redirect = text(b, 'redirect_url', false, 2048);
    const order = await this.merchant.create(p, {
      orderNo,
      currency,
      price,
      route,
      notifyUrl,
      redirectUrl: redirect === undefined ? null : httpUrl('redirect_url', redirect),
      productName: text(b, 'product_name', false, 32) ?? null,
      meta: text(b, 'meta', false, 1024) ?? null,
    });
    return ok(toMerchantOrder(order));
  }

  @Get(':order_no')
  @ApiEnvelopeResponse(MerchantEnvelope, MerchantOrderResponse)
  @ApiErrorResponses([404], 'merchant')
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('order_no') orderNo: string,
  ): Promise<MerchantEnvelope<MerchantOrderResponse>> {
    return ok(toMerchantOrder(await this.merchant.get(p.tenantId, orderNo)));
  }

  /** Close a Pending order: Cancelled here, and its open payments closed at the provider. */
  @Post(':order_no/close')
  @HttpCode(200)
  @ApiEnvelopeResponse(MerchantEnvelope, MerchantOrderResponse, { description: 'the order, now Cancelled' })
  @ApiErrorResponses([404, 409, 502], 'merchant')
  async close(
    @CurrentPrincipal() p: Principal,
    @Param('order_no') orderNo: string,
  ): Promise<MerchantEnvelope<MerchantOrderResponse>> {
    return ok(toMerchantOrder(await this.merchant.close(p.tenantId, orderNo)));
  }
}
