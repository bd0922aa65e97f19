import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * `data` of a successful `POST /api/order/payment`: the pay way and what the payer needs for it. Which
 * fields are present depends on the payment action: a QR code (`code_url`), a redirect (`jump_url`), a
 * WeChat mini-program payment (its JSAPI parameters), a crypto transfer (`address`, `amount`, `network`,
 * `token`) or x402 payment requirements (`requirements`).
 */
export class OrderPaymentResponse {
  @ApiProperty({ example: 'Sandbox', description: 'the payment method used' })
  pay_way!: string;

  @ApiPropertyOptional({ description: 'QR code payments: the text to show as a QR code' })
  code_url?: string;

  @ApiPropertyOptional({ description: "redirect payments: the provider's payment page" })
  jump_url?: string;

  @ApiPropertyOptional({ description: 'WeChat mini-program: appId' })
  appId?: string;

  @ApiPropertyOptional({ description: 'WeChat mini-program: timeStamp (unix seconds)' })
  timeStamp?: string;

  @ApiPropertyOptional({ description: 'WeChat mini-program: nonceStr' })
  nonceStr?: string;

  @ApiPropertyOptional({ description: 'WeChat mini-program: package (prepay_id=...)' })
  package?: string;

  @ApiPropertyOptional({ description: 'WeChat mini-program: signType', example: 'RSA' })
  signType?: string;

  @ApiPropertyOptional({ description: 'WeChat mini-program: paySign' })
  paySign?: string;

  @ApiPropertyOptional({ description: 'crypto: the receiving address' })
  address?: string;

  @ApiPropertyOptional({ description: 'crypto: the amount to send, a decimal string', example: '49.99' })
  amount?: string;

  @ApiPropertyOptional({ description: 'crypto: the chain', example: 'TRON' })
  network?: string;

  @ApiPropertyOptional({ description: 'crypto: the token', example: 'USDT' })
  token?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'x402: the payment requirements (x402 `accepts`)',
  })
  requirements?: object;
}
