import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

export const PASSWORD_MIN_LENGTH = 8;

/**
 * The most common passwords of at least PASSWORD_MIN_LENGTH characters (from the public breach
 * top lists), lower-cased. Short on purpose: the other rules already refuse the digit-only and
 * one-character ones.
 */
const COMMON_PASSWORDS = new Set([
  'password',
  'password1',
  'password12',
  'password123',
  'password!',
  'passw0rd',
  'p@ssw0rd',
  'p@ssword',
  'qwertyuiop',
  'qwerty123',
  'qwerty1234',
  'qwertyui',
  'qwerty12',
  '1q2w3e4r',
  '1q2w3e4r5t',
  '1qaz2wsx',
  'zaq12wsx',
  'abcd1234',
  'abc12345',
  'abcdefgh',
  'asdfghjk',
  'asdfghjkl',
  'iloveyou',
  'iloveyou1',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'welcome1',
  'welcome123',
  'letmein1',
  'trustno1',
  'superman',
  'starwars',
  'whatever',
  'changeme',
  'changeme1',
  'administrator',
  'admin123',
  'admin1234',
  'adminadmin',
  'secret123',
  'computer',
  'internet',
  'michael1',
  'jennifer',
  'chocolate',
  'lovelove',
  'monkey123',
  'dragon123',
]);

/**
 * Why a password is refused, or null when it is acceptable: shorter than PASSWORD_MIN_LENGTH,
 * digits only, one character repeated, a well-known password, or the account's email (or the part
 * before the @). One rule for every place a password is set (registration, ADMIN_PASSWORD).
 */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH)
    return `password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (/^\d+$/.test(password)) return 'password must not be digits only';
  if (/^(.)\1*$/su.test(password)) return 'password must not be one character repeated';
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'password is one of the most common passwords';
  if (email) {
    const e = email.trim().toLowerCase();
    if (lower === e || lower === e.split('@')[0]) return 'password must not be the email address';
  }
  return null;
}

/**
 * The DTO form of passwordProblem: a refused password is a `validation_failed` 400 naming the
 * field, like every other bad field. `emailField` names the sibling property holding the email.
 */
export function IsAcceptablePassword(emailField?: string, options?: ValidationOptions) {
  return (target: object, propertyName: string): void => {
    registerDecorator({
      name: 'isAcceptablePassword',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          if (typeof value !== 'string') return false;
          const email = emailField ? (args.object as Record<string, unknown>)[emailField] : undefined;
          return passwordProblem(value, typeof email === 'string' ? email : undefined) === null;
        },
        defaultMessage(args: ValidationArguments): string {
          if (typeof args.value !== 'string') return `${args.property} must be a string`;
          const email = emailField ? (args.object as Record<string, unknown>)[emailField] : undefined;
          const why = passwordProblem(args.value, typeof email === 'string' ? email : undefined) ?? '';
          return why.replace(/^password/, args.property);
        },
      },
    });
  };
}
