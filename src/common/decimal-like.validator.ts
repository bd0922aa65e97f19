import { ValidatorConstraint, ValidatorConstraintInterface, ValidationArguments } from 'class-validator';

/** A JSON number or a decimal string ("49.99"); the exact scale is checked by the service per currency. */
@ValidatorConstraint({ name: 'isDecimalLike' })
export class IsDecimalLike implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value === 'number') return Number.isFinite(value);
    return (
      typeof value === 'string' && /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/.test(value.trim()) && value.length <= 64
    );
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a decimal number or a decimal string`;
  }
}
