import { Param, ParseUUIDPipe } from '@nestjs/common';
import { badRequest } from './domain-error';

/** A path parameter that must be a UUID: anything else is a 400 `invalid_id`, never a query. */
export const UuidParam = (name = 'id'): ParameterDecorator =>
  Param(
    name,
    new ParseUUIDPipe({ exceptionFactory: () => badRequest('invalid_id', `${name} must be a UUID`) }),
  );
