import { IsAcceptablePassword } from '../../common/password-policy';
import { IsEmail, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';

export class RegisterDto {
  @IsEmail()
  @MaxLength(254)
  email!: string;

  /** At least 8 characters; not digits only, one repeated character, a common password or the email. */
  @IsString()
  @IsAcceptablePassword('email')
  @MaxLength(256)
  password!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  tenant_name?: string;
}

export class LoginDto {
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;
}

/** The console's sign-in: a login, optionally into one of several tenants the account belongs to. */
export class StartSessionDto extends LoginDto {
  /** The tenant to act in (one the account is a member of); default: the account's primary tenant. */
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}

export class CreateTokenDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}
