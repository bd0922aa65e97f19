import { DocumentBuilder, OpenAPIObject } from '@nestjs/swagger';
import { SECURITY } from './common/api-docs';
import { dialectOf } from './common/error-dialect';

const MERCHANT_SIGNATURE = [
  'Lowercase hex HMAC-SHA256 with the API key secret over',
  '`X-Timestamp + "\\n" + X-Nonce + "\\n" + METHOD + "\\n" + path_with_query + "\\n" + raw_body`',
  '(the exact bytes sent). X-Timestamp must be within 300 s of the server clock and a nonce is',
  'accepted once.',
].join(' ');

/**
 * The OpenAPI document's header: title, description and the security schemes the controllers refer
 * to (`@ApiBearerAuth()`, `ApiMerchantSignature()`, `SECURITY.metricsToken`). Served at /docs and
 * /docs-json; the committed openapi.json is generated from it (`npm run openapi`).
 */
export function apiDocumentConfig(): Omit<OpenAPIObject, 'paths'> {
  return new DocumentBuilder()
    .setTitle('paymux')
    .setDescription(
      'Multi-tenant payment orders. Three APIs, each with its own envelope: the platform API ' +
        '(`/api/v1/*`, plain JSON, errors `{code, message}`), the order payment API (`/api/order/*`, ' +
        '`{code, msg, data}`) and the merchant API (`/v1/*`, signed requests, `{code, message, data}`). ' +
        'Provider callbacks and the hosted checkout are not part of this document.',
    )
    .setVersion('0.1.0')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT or platform token',
        description: 'A JWT from POST /api/v1/auth/login, or a platform token from POST /api/v1/auth/tokens.',
      },
      SECURITY.bearer,
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The merchant API key id.' },
      SECURITY.merchantKey,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-Timestamp',
        description: 'Unix seconds, within 300 s of now.',
      },
      SECURITY.merchantTimestamp,
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-Nonce', description: 'A fresh random value per request.' },
      SECURITY.merchantNonce,
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-Signature', description: MERCHANT_SIGNATURE },
      SECURITY.merchantSignature,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description: 'METRICS_TOKEN, required only when it is set.',
      },
      SECURITY.metricsToken,
    )
    .build();
}

const ERROR_BODY_OF_DIALECT = {
  platform: 'ApiErrorBody',
  seed001: 'OrderPaymentErrorBody',
  merchant: 'MerchantErrorBody',
} as const;

/**
 * Every operation a tenant's credentials reach (Bearer or merchant signature) may answer 403
 * `tenant_suspended` (a suspended tenant; platform admins excepted): documented once here for all of
 * them, with the error body of the path's dialect, where a controller did not already list a 403.
 */
export function withTenantSuspension(doc: OpenAPIObject): OpenAPIObject {
  const tenantSchemes = new Set<string>([SECURITY.bearer, SECURITY.merchantKey]);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const op of Object.values(item) as { security?: Record<string, unknown>[]; responses?: object }[]) {
      if (!op || typeof op !== 'object' || !op.responses || !op.security) continue;
      if (!op.security.some((req) => Object.keys(req).some((name) => tenantSchemes.has(name)))) continue;
      const responses = op.responses as Record<string, unknown>;
      if (responses['403']) continue;
      const body = ERROR_BODY_OF_DIALECT[dialectOf(path)];
      if (!doc.components?.schemas?.[body]) continue;
      responses['403'] = {
        description: 'The tenant is suspended (tenant_suspended)',
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${body}` } } },
      };
    }
  }
  return doc;
}
