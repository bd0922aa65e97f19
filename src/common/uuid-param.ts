import { Param, ParseUUIDPipe } from '@nestjs/common';
import { CommonErrors } from './common.errors';

/** A path parameter that must be a UUID: anything else is a 400 `invalid_id`, never a query. */
export const UuidParam = (name = 'id'): ParameterDecorator =>
  Param(
    name,
    new ParseUUIDPipe({ exceptionFactory: () => CommonErrors.invalid_id(`${name} must be a UUID`) }),
  );
