import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, PageOf } from '../common/api-docs';
import { TENANT_ROLES, type TenantRole } from '../tenants/membership.entity';

/** A tenant as a platform operator sees it in the list. */
export class AdminTenantResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Acme' })
  name!: string;

  @ApiProperty({ type: [String], example: ['owner@acme.example'], description: "the owners' emails" })
  owner_emails!: string[];

  @ApiProperty({ description: 'its platform API, merchant API and new orders answer 403 tenant_suspended' })
  suspended!: boolean;

  @ApiDateTime({ nullable: true })
  suspended_at!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'the reason given by the operator who suspended it (null when not suspended)',
  })
  suspension_reason!: string | null;

  @ApiDateTime()
  created_at!: string;
}

export class AdminTenantPageResponse extends PageOf(AdminTenantResponse) {}

export class AdminTenantMemberResponse {
  @ApiProperty({ format: 'uuid' })
  user_id!: string;

  @ApiProperty({ example: 'owner@acme.example' })
  email!: string;

  @ApiProperty({ enum: TENANT_ROLES, example: 'owner' })
  role!: TenantRole;
}

/** A configured provider account: which, whether enabled, its mode; never a credential, not even masked. */
export class AdminTenantProviderResponse {
  @ApiProperty({ example: 'stripe' })
  provider!: string;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ enum: ['live', 'test'], example: 'test' })
  mode!: 'live' | 'test';
}

export class AdminTenantApplicationResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'My app' })
  name!: string;

  @ApiProperty({ example: '500', description: 'credits, exact decimal text' })
  balance!: string;
}

/** The tenant's orders in one currency. */
export class AdminTenantVolumeResponse {
  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiProperty({ example: 12, description: 'orders created, whatever their state' })
  orders!: number;

  @ApiProperty({ example: 10, description: 'orders paid (paid_at set), refunded ones included' })
  paid_orders!: number;

  @ApiProperty({ example: '499.90', description: 'sum of the paid orders’ prices, exact decimal text' })
  paid_amount!: string;
}

/** A tenant's detail for a platform operator: no secret and no masked credential. */
export class AdminTenantDetailResponse extends AdminTenantResponse {
  @ApiProperty({ type: [AdminTenantMemberResponse] })
  members!: AdminTenantMemberResponse[];

  @ApiProperty({ type: [AdminTenantProviderResponse] })
  providers!: AdminTenantProviderResponse[];

  @ApiProperty({ type: [AdminTenantApplicationResponse] })
  applications!: AdminTenantApplicationResponse[];

  @ApiProperty({ example: 12, description: 'all orders, every currency' })
  order_count!: number;

  @ApiProperty({ type: [AdminTenantVolumeResponse] })
  volume!: AdminTenantVolumeResponse[];
}
