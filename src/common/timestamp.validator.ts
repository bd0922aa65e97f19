import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * An ISO-8601 timestamp with a date, time and offset (`2026-01-31T10:00:00Z`) that PostgreSQL can
 * hold (years 1 to 9999): anything else would be a 500 in SQL.
 */
export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol): void => {
    registerDecorator({
      name: 'isTimestamp',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `${String(propertyName)} must be an ISO-8601 timestamp with a time zone, e.g. 2026-01-31T10:00:00Z`,
        ...options,
      },
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string' || value.length > 40) return false;
          if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$/.test(value))
            return false;
          const d = new Date(value);
          if (Number.isNaN(d.getTime())) return false;
          const year = d.getUTCFullYear();
          return year >= 1 && year <= 9999;
        },
      },
    });
  };
}
