import { Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { ProviderError } from './payment-provider';

/**
 * The stable answer for a failed provider call: 502 provider_timeout / provider_unavailable /
 * provider_error, or 422 provider_credentials_rejected / provider_rejected, with the provider's message.
 * The one mapping of provider failures, for opening payments and for refunds alike.
 */
export function providerFailure(what: string, err: unknown, logger?: Logger): DomainError {
  if (err instanceof DomainError) return err;
  const message = err instanceof Error ? err.message : 'unknown error';
  logger?.warn(`${what}: provider call failed: ${message}`);
  if (err instanceof ProviderError) {
    const details = { provider_code: err.providerCode ?? null };
    switch (err.kind) {
      case 'timeout':
        return new DomainError(
          'provider_timeout',
          502,
          `${what} did not answer in time: ${message}`,
          details,
        );
      case 'unavailable':
        return new DomainError('provider_unavailable', 502, `${what} is unavailable: ${message}`, details);
      case 'credentials':
        return new DomainError(
          'provider_credentials_rejected',
          422,
          `${what} refused the tenant's credentials: ${message}`,
          details,
        );
      case 'rejected':
        return new DomainError('provider_rejected', 422, `${what} refused the request: ${message}`, details);
    }
  }
  return new DomainError('provider_error', 502, `${what} could not open the payment: ${message}`);
}
