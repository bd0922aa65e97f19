import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { ListQueryDto } from '../../common/list-query.dto';
import { IsTimestamp } from './admin-orders.dto';

/** The audit log for platform operators: filters and a page (`limit`, `cursor`: see ListQueryDto). */
export class AdminAuditQueryDto extends ListQueryDto {
  /** Only rows about this tenant. */
  @IsOptional()
  @IsUUID()
  tenant_id?: string;

  /** Only rows written by this user. */
  @IsOptional()
  @IsUUID()
  actor_id?: string;

  /** The exact action, e.g. tenant.suspend, user.disable, fx_rate.set, payment.resolve. */
  @IsOptional()
  @Matches(/^[a-z0-9_.]{1,64}$/, { message: 'action must be an action name such as tenant.suspend' })
  action?: string;

  /** The target's kind: the part of `target` before the colon (tenant, user, fx_rate, payment, ...). */
  @IsOptional()
  @Matches(/^[a-z0-9_]{1,32}$/, { message: 'target_type must be a target kind such as tenant or user' })
  target_type?: string;

  /** The target's id: the part of `target` after the colon (a uuid, or e.g. USD/CNY for an FX rate). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  target_id?: string;

  /** Only rows written by the request with this X-Request-Id (the server accepts ids of this shape). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, {
    message: 'request_id must be a request id (1-128 of A-Z a-z 0-9 . _ : -)',
  })
  request_id?: string;

  /** Written at or after (ISO-8601 with a time zone). */
  @IsOptional()
  @IsTimestamp()
  from?: string;

  /** Written before (ISO-8601 with a time zone). */
  @IsOptional()
  @IsTimestamp()
  to?: string;
}

/** The needs-attention queue of a merchant's staff (their own tenant): its size. */
export class AttentionQueryDto {
  /** Items, 1-100 (default 50), oldest first. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

/** The operator's needs-attention queue: its size, and optionally one tenant. */
export class AdminAttentionQueryDto extends AttentionQueryDto {
  /** Only this tenant's items. */
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}
