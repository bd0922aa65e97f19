/**
 * Shared pieces of the OpenAPI document: the security scheme names, the three API dialects' envelopes
 * and error bodies, list and page wrappers, and the decorators that put them on an operation.
 * Documentation only: nothing here changes what a client receives.
 */
import { applyDecorators, Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiSecurity,
  getSchemaPath,
} from '@nestjs/swagger';

/** The security scheme names declared on the document (see api-document.ts). */
export const SECURITY = {
  /** `Authorization: Bearer <JWT or platform token>`. */
  bearer: 'bearer',
  /** The merchant API's signed request: all four headers together. */
  merchantKey: 'merchant-api-key',
  merchantTimestamp: 'merchant-timestamp',
  merchantNonce: 'merchant-nonce',
  merchantSignature: 'merchant-signature',
  /** `Authorization: Bearer <METRICS_TOKEN>` for /metrics. */
  metricsToken: 'metrics-token',
} as const;

/** The merchant API's signed request (X-API-Key, X-Timestamp, X-Nonce, X-Signature), as one requirement. */
export const ApiMerchantSignature = (): ClassDecorator & MethodDecorator =>
  ApiSecurity({
    [SECURITY.merchantKey]: [],
    [SECURITY.merchantTimestamp]: [],
    [SECURITY.merchantNonce]: [],
    [SECURITY.merchantSignature]: [],
  });

// ---------------------------------------------------------------------------------------------
// Error bodies, one per API dialect

/** The platform API's error body (`/api/v1/*`). */
export class ApiErrorBody {
  @ApiProperty({ description: 'stable snake_case error code', example: 'not_found' })
  code!: string;

  @ApiProperty({ example: 'order not found' })
  message!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'what was wrong, e.g. the invalid field',
    example: { field: 'amount' },
  })
  details?: Record<string, unknown>;
}

/** The order payment API's error body (`/api/order/*`): a numeric code, `msg`, and `data: null`. */
export class OrderPaymentErrorBody {
  @ApiProperty({
    description:
      '1001 unauthenticated, 1002 forbidden, 4001 order not found, 4002 not payable, ' +
      '4003 pay way unsupported or unavailable, 4004 zero amount, -1 anything else',
    example: 4001,
  })
  code!: number;

  @ApiProperty({ example: 'order not found' })
  msg!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: false,
    nullable: true,
    example: null,
    description: 'always null on an error',
  })
  data!: null;
}

/** The merchant API's error body (`/v1/*`): a numeric code and a message. */
export class MerchantErrorBody {
  @ApiProperty({
    description:
      '10001 authentication, 10002 stale request, 10003 invalid parameter, 10004 duplicate ' +
      'order_no, 10005 order not found, 10006 provider or route unavailable, 10007 rate limited, 10009 server error',
    example: 10003,
  })
  code!: number;

  @ApiProperty({ example: 'Invalid parameter `amount`: amount must be a decimal string' })
  message!: string;
}

export type ApiDialect = 'platform' | 'order-payment' | 'merchant';

const ERROR_BODIES: Record<ApiDialect, Type<unknown>> = {
  platform: ApiErrorBody,
  'order-payment': OrderPaymentErrorBody,
  merchant: MerchantErrorBody,
};

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'The request is malformed or a parameter is invalid',
  401: 'Missing or invalid credentials',
  403: 'The caller may not do this',
  404: 'Not found (or not visible to this tenant)',
  409: 'Conflicts with the current state (e.g. a duplicate or an order in the wrong state)',
  413: 'The body is too large or too complex',
  415: 'Unsupported content type',
  422: 'Well-formed, but refused by a business rule',
  429: 'Rate limited; see Retry-After',
  502: 'The payment provider failed, timed out or is unavailable',
};

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 502;

/** The error answers an operation can give, with its API dialect's error body. */
export function ApiErrorResponses(
  statuses: readonly ErrorStatus[],
  dialect: ApiDialect = 'platform',
): ClassDecorator & MethodDecorator {
  const body = ERROR_BODIES[dialect];
  return applyDecorators(
    ApiExtraModels(body),
    ...statuses.map((status) => ApiResponse({ status, description: ERROR_DESCRIPTIONS[status], type: body })),
  );
}

// ---------------------------------------------------------------------------------------------
// Success envelopes of the order payment and merchant APIs

/** The order payment API's success envelope (`/api/order/*`): `{code: 0, msg: '', data}`. */
export class OrderPaymentEnvelope<T> {
  @ApiProperty({ enum: [0], example: 0 })
  code!: 0;

  @ApiProperty({ enum: [''], example: '' })
  msg!: '';

  data!: T;
}

/** The merchant API's success envelope (`/v1/*`): `{code: 10000, message: 'OK', data}`. */
export class MerchantEnvelope<T> {
  @ApiProperty({ enum: [10000], example: 10000 })
  code!: 10000;

  @ApiProperty({ enum: ['OK'], example: 'OK' })
  message!: 'OK';

  data!: T;
}

/** A success answer `envelope` whose `data` is a `data`: `allOf` the envelope and `{data: $ref}`. */
export function ApiEnvelopeResponse(
  envelope: typeof OrderPaymentEnvelope | typeof MerchantEnvelope,
  data: Type<unknown>,
  opts: { status?: number; description?: string } = {},
): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(envelope, data),
    ApiResponse({
      status: opts.status ?? 200,
      description: opts.description ?? 'OK',
      schema: {
        allOf: [
          { $ref: getSchemaPath(envelope) },
          {
            type: 'object',
            required: ['data'],
            properties: { data: { $ref: getSchemaPath(data) } },
          },
        ],
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Lists and pages of the platform API

/** `{data: T[]}`: extend it to name the list, e.g. `class PackageListResponse extends ListOf(PackageResponse) {}`. */
export function ListOf<T>(item: Type<T>): Type<{ data: T[] }> {
  class List {
    @ApiProperty({ type: [item] })
    data!: T[];
  }
  return List;
}

/** A cursor page `{data: T[], has_more, next_cursor}` (see pagination.ts). */
export function PageOf<T>(item: Type<T>): Type<{ data: T[]; has_more: boolean; next_cursor: string | null }> {
  class Page {
    @ApiProperty({ type: [item] })
    data!: T[];

    @ApiProperty({ example: false })
    has_more!: boolean;

    @ApiProperty({
      type: String,
      nullable: true,
      description: 'pass as `cursor` for the next page; null on the last page',
      example: null,
    })
    next_cursor!: string | null;
  }
  return Page;
}

// ---------------------------------------------------------------------------------------------
// Property shorthands

interface PropertyOpts {
  nullable?: boolean;
  description?: string;
}

const optional = (o: PropertyOpts): PropertyOpts => ({
  ...(o.nullable ? { nullable: true } : {}),
  ...(o.description ? { description: o.description } : {}),
});

/** An ISO-8601 UTC timestamp with six fractional digits (isoMicros). */
export const ApiDateTime = (o: PropertyOpts = {}): PropertyDecorator =>
  ApiProperty({ type: String, format: 'date-time', example: '2024-08-01T10:00:00.000000Z', ...optional(o) });

/** An exact decimal amount rendered as a JSON number (the platform API's money). */
export const ApiAmount = (example: number, o: PropertyOpts = {}): PropertyDecorator =>
  ApiProperty({ type: Number, example, ...optional(o) });
