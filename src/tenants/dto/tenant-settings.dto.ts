import { IsInt, IsOptional, IsUrl, Max, MaxLength, Min, ValidateIf } from 'class-validator';

/** PATCH /api/v1/tenant/settings: each field left out stays as it is; null clears it. */
export class UpdateTenantSettingsDto {
  /**
   * Receives a signed POST at every state change of the tenant's platform orders (merchant-API
   * orders go to their own notify_url). Null switches it off.
   */
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  webhook_url?: string | null;

  /** Seconds a merchant-API order stays payable (its `cancel_time`), 60 s to 7 days; null: the platform default. */
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(60)
  @Max(604800)
  order_ttl_seconds?: number | null;
}
