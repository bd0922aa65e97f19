import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/list-query.dto';

export class ListTenantsQueryDto extends ListQueryDto {
  /** Part of the tenant's name or of an owner's email (case-insensitive), or the tenant's id. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class SuspendTenantDto {
  /** Why the tenant is suspended (kept on the tenant and in the audit log). */
  @IsString()
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}

export class UnsuspendTenantDto {
  /** Why the suspension ends (kept in the audit log). */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
