import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { CommonErrors } from './common.errors';
import { cacheValidationMetadata } from './validation-metadata-cache';

function flatten(errors: ValidationError[], prefix = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Deeper than any DTO: Nest's own recursive walk of the body overflows the stack (a 500) near 5000. */
const MAX_DEPTH = 32;

/**
 * Keys no DTO has that the whitelist (forbidNonWhitelisted) lets through: class-transformer does not
 * copy names of Object.prototype members, so they were never seen as unknown, and `prototype` got
 * through too: `{"rate":"1.0","constructor":1}` or `{"rate":"1.0","prototype":""}` was accepted
 * instead of a 400 for an unknown field.
 */
const PROTOTYPE_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/**
 * The first thing in a parsed body or query that cannot be valid input whatever the DTO: a string
 * holding U+0000 (PostgreSQL text cannot store it: a 500 in SQL), nesting deeper than MAX_DEPTH, or
 * a key named like an Object.prototype member (see PROTOTYPE_KEYS).
 */
function unsafeInput(value: unknown): { field: string; problem: string } | undefined {
  // Iterative, so a deeply nested body cannot overflow the stack here.
  const stack: [unknown, string, number][] = [[value, '', 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, path, depth] = next;
    if (typeof v === 'string' && v.includes('\u0000')) {
      return { field: path, problem: `${path || 'the request'} must not contain NUL characters` };
    }
    if (v !== null && typeof v === 'object') {
      if (depth >= MAX_DEPTH) return { field: path, problem: 'the request is nested too deeply' };
      for (const [k, child] of Object.entries(v)) {
        const field = path ? `${path}.${k}` : k;
        if (!Array.isArray(v) && PROTOTYPE_KEYS.has(k))
          return { field, problem: `property ${field} should not exist` };
        stack.push([child, field, depth + 1]);
      }
    }
  }
  return undefined;
}

/** The shared pipe, refusing unsafe input (see unsafeInput) as `validation_failed` before validating. */
class StrictValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const bad = metadata.type === 'body' || metadata.type === 'query' ? unsafeInput(value) : undefined;
    if (bad) {
      return Promise.reject(
        CommonErrors.validation_failed(bad.problem, {
          fields: [{ field: bad.field, problems: [bad.problem] }],
        }),
      );
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

cacheValidationMetadata();

/** Strict input: unknown fields, wrong types and missing fields are a 400 `validation_failed` naming each field. */
export const validationPipe = new StrictValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  transformOptions: { enableImplicitConversion: false },
  exceptionFactory: (errors: ValidationError[]) => {
    const fields = flatten(errors);
    const message = fields.map((f) => f.problems.join(', ')).join('; ') || 'the request is not valid';
    return CommonErrors.validation_failed(message, { fields });
  },
});
