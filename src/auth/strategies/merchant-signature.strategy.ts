import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import { signedBodyOf, WithRawBody } from '../../common/raw-body';
import { ApiKeysService } from '../api-keys.service';
import type { Principal } from '../principal';
import { APP_SCOPED_PASSPORT, forgetStrategy } from './app-scoped-passport';
import { CommonErrors } from '../../common/common.errors';

/**
 * The merchant API's signed requests: X-API-Key, X-Timestamp, X-Nonce and X-Signature, checked by
 * ApiKeysService over the exact raw bytes of the body, before anything trusts the parsed body.
 * Every refusal is a DomainError (401 unauthenticated / stale_request, 415 for a body whose bytes
 * were not kept).
 */
@Injectable()
export class MerchantSignatureStrategy
  extends PassportStrategy(Strategy, 'merchant-signature')
  implements OnModuleDestroy
{
  constructor(private readonly keys: ApiKeysService) {
    super();
  }

  getPassportInstance(): typeof APP_SCOPED_PASSPORT {
    return APP_SCOPED_PASSPORT;
  }

  async validate(
    req: WithRawBody & {
      headers: Record<string, string | string[] | undefined>;
      method: string;
      url: string;
    },
  ): Promise<Principal> {
    // The signature covers the bytes received, whatever the content type; a body whose bytes were not
    // kept is refused rather than checked as an empty one.
    const rawBody = signedBodyOf(req);
    if (rawBody === undefined) throw CommonErrors.unsupported_media_type('the body must be application/json');
    return this.keys.authenticate({ headers: req.headers, method: req.method, url: req.url, rawBody });
  }

  onModuleDestroy(): void {
    forgetStrategy(this);
  }
}
