import { IsBoolean, IsIn, IsObject, IsOptional } from 'class-validator';

export class PutProviderAccountDto {
  /** Whether orders may use this provider. Default true. */
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  /** `live` or `test` (the provider's sandbox). Default test. */
  @IsOptional()
  @IsIn(['live', 'test'])
  mode?: 'live' | 'test';

  /** The provider's credential fields (see the README); secrets are encrypted and never returned. */
  @IsObject()
  credentials!: Record<string, unknown>;
}
