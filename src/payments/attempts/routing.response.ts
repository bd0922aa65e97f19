import { ApiProperty } from '@nestjs/swagger';

/** The tenant's provider priority for `pay_way: Crypto`, and which chains carry which token. */
export class RoutingResponse {
  @ApiProperty({
    type: [String],
    example: ['tokenpay', 'alchemy', 'x402'],
    description: 'provider ids, first choice first',
  })
  priority!: string[];

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
    example: { USDT: ['TRON', 'BSC', 'ETH', 'SOL'], BTC: ['BTC'] },
    description: 'token -> the chains it can be paid on',
  })
  routes!: Readonly<Record<string, readonly string[]>>;
}
