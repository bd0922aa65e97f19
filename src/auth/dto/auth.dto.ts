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

  /** Which of the account's tenants to sign in to; without it the oldest owned tenant, else the oldest membership. */
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}

/** The console's sign-in: the same fields as a login (email, password, optional tenant_id). */
export class StartSessionDto extends LoginDto {}

export class CreateTokenDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}

/** POST /api/v1/auth/password-reset. */
export class PasswordResetDto {
  /** The token from the reset link. */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token!: string;

  /** The new password (the registration's rules: at least 8 characters, not digits only, one repeated character, a common password or the email). */
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;
}
