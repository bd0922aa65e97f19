import { IsAcceptablePassword } from '../../common/password-policy';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

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

export class CreateTokenDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;
}
