import { ApiProperty } from '@nestjs/swagger';
import type { TenantSettings } from './tenants.service';

export class TenantSettingsResponse {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'https://merchant.example/paymux-webhook',
    description: 'where notifications of platform orders are sent',
  })
  webhook_url!: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 900,
    description: 'merchant-API order lifetime in seconds; null: the default',
  })
  order_ttl_seconds!: number | null;
}

export const toTenantSettingsResponse = (s: TenantSettings): TenantSettingsResponse => ({
  webhook_url: s.webhookUrl,
  order_ttl_seconds: s.orderTtlSeconds,
});
