import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError } from './domain-error';

function flatten(errors: ValidationError[], prefix = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Strict input: unknown fields, wrong types and missing fields are a 400 `validation_failed` naming each field. */
export const validationPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  transformOptions: { enableImplicitConversion: false },
  exceptionFactory: (errors: ValidationError[]) => {
    const fields = flatten(errors);
    const message = fields.map((f) => f.problems.join(', ')).join('; ') || 'the request is not valid';
    return new DomainError('validation_failed', 400, message, { fields });
  },
});
